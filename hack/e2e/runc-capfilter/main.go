/*
Copyright 2026 The kindnode Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command runc-capfilter is an OCI runtime for dockerd on hosts whose capability bounding set lacks some
// capabilities. Docker grants a --privileged container every capability it knows, and runc refuses to start a
// process with a capability outside the bounding set ("unable to apply caps"). runc-capfilter removes such
// capabilities from the bundle's config.json (create, run) or the process file (exec) and then executes the
// real runc with the same arguments.
//
// The runc the image pipeline builds for the node image (v1.4.2) does not replace it: set as Debian dockerd
// 20.10.24's default runtime, `docker run --privileged` fails with "runc create failed: unable to start
// container process: error during container init: unable to apply caps: can't apply capabilities: operation
// not permitted", as Debian's runc 1.1.5 does. The capabilities come from dockerd's OCI spec, not from runc.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// capabilities are the kernel's capability numbers (include/uapi/linux/capability.h).
var capabilities = map[string]uint{
	"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3, "CAP_FSETID": 4,
	"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
	"CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11, "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13,
	"CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15, "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18,
	"CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
	"CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27, "CAP_LEASE": 28,
	"CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31, "CAP_MAC_OVERRIDE": 32,
	"CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36,
	"CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39, "CAP_CHECKPOINT_RESTORE": 40,
}

const runcEnv = "RUNC_CAPFILTER_RUNC"

func main() {
	runc := os.Getenv(runcEnv)
	if runc == "" {
		runc = "/usr/sbin/runc"
	}
	if err := filterArgs(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "runc-capfilter: %v\n", err)
		os.Exit(1)
	}
	args := append([]string{runc}, os.Args[1:]...)
	if err := syscall.Exec(runc, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-capfilter: exec %s: %v\n", runc, err)
		os.Exit(1)
	}
}

// filterArgs filters the OCI spec or process file the runc arguments name, if any.
func filterArgs(args []string) error {
	var files []string
	for i, a := range args {
		for flag, suffix := range map[string]string{"--bundle": "/config.json", "-b": "/config.json", "--process": "", "-p": ""} {
			switch {
			case a == flag && i+1 < len(args):
				files = append(files, args[i+1]+suffix)
			case strings.HasPrefix(a, flag+"="):
				files = append(files, strings.TrimPrefix(a, flag+"=")+suffix)
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	bounding, err := boundingSet()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := filterFile(f, bounding); err != nil {
			return err
		}
	}
	return nil
}

// boundingSet reads this process's capability bounding set, which every container process inherits.
func boundingSet() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapBnd:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no CapBnd in /proc/self/status")
}

// filterFile removes capabilities outside bounding from the process of an OCI config.json or from an OCI
// process file, keeping every other field as it is.
func filterFile(path string, bounding uint64) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// config.json nests the process; a process file is the process.
	process := doc
	_, nested := doc["process"]
	if nested {
		if err := json.Unmarshal(doc["process"], &process); err != nil {
			return fmt.Errorf("%s: process: %w", path, err)
		}
	}
	capsRaw, ok := process["capabilities"]
	if !ok {
		return nil
	}
	var caps map[string][]string
	if err := json.Unmarshal(capsRaw, &caps); err != nil {
		return fmt.Errorf("%s: capabilities: %w", path, err)
	}
	changed := false
	for set, names := range caps {
		kept := names[:0:0]
		for _, n := range names {
			if bit, known := capabilities[n]; known && bounding&(1<<bit) == 0 {
				changed = true
				continue
			}
			kept = append(kept, n)
		}
		caps[set] = kept
	}
	if !changed {
		return nil
	}
	if process["capabilities"], err = json.Marshal(caps); err != nil {
		return err
	}
	if nested {
		if doc["process"], err = json.Marshal(process); err != nil {
			return err
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, fi.Mode().Perm())
}
