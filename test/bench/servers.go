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

package bench

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// servers are the outer cluster's kube-apiserver and etcd, which envtest starts and the harness finds among
// the machine's processes, so that it can tell how much CPU time they spent on each phase: on a machine as
// small as two cores they, not the provider, are what a phase mostly waits for.
type servers struct {
	pids []int
}

// findServers finds the kube-apiserver that serves host, a URL such as https://127.0.0.1:PORT, and the etcd
// it stores in.
func findServers(host string) (*servers, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, err
	}
	procs, err := commandLines()
	if err != nil {
		return nil, err
	}
	s := &servers{}
	var etcd string
	for pid, args := range procs {
		if filepath.Base(args[0]) != "kube-apiserver" || !contains(args, "--secure-port="+u.Port()) {
			continue
		}
		s.pids = append(s.pids, pid)
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--etcd-servers="); ok {
				etcd = v
			}
		}
	}
	if len(s.pids) == 0 || etcd == "" {
		return nil, fmt.Errorf("cannot find the kube-apiserver serving %s", host)
	}
	for pid, args := range procs {
		if filepath.Base(args[0]) != "etcd" {
			continue
		}
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--listen-client-urls="); ok && strings.Contains(v, etcd) {
				s.pids = append(s.pids, pid)
			}
		}
	}
	if len(s.pids) != 2 {
		return nil, fmt.Errorf("cannot find the etcd at %s", etcd)
	}
	return s, nil
}

// cpu is the CPU time the servers used so far.
func (s *servers) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range s.pids {
		d, err := cpuOf(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// commandLines are the arguments of every process the harness may read, by pid.
func commandLines() (map[int][]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int][]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		out[pid] = strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
	}
	return out, nil
}

func contains(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}
