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

package nodenet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// RouteProtocol marks the routes this package installs, so stale ones are found again after a restart.
const RouteProtocol = 77

// Runner runs a command and returns its standard output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Exec runs commands on this host.
func Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// SyncRoutes makes the routes marked with RouteProtocol exactly want: missing or changed ones are replaced,
// others deleted.
func SyncRoutes(ctx context.Context, run Runner, want []Route) error {
	for _, family := range []string{"-4", "-6"} {
		out, err := run(ctx, "ip", "-j", family, "route", "show", "proto", strconv.Itoa(RouteProtocol))
		if err != nil {
			return err
		}
		var have []struct {
			Dst     string `json:"dst"`
			Gateway string `json:"gateway"`
		}
		if len(bytes.TrimSpace(out)) > 0 {
			if err := json.Unmarshal(out, &have); err != nil {
				return fmt.Errorf("parsing ip route output: %w", err)
			}
		}
		wanted := map[string]bool{}
		for _, r := range want {
			if (family == "-4") == r.Dst.Addr().Is4() {
				wanted[r.Dst.String()] = true
			}
		}
		for _, h := range have {
			if !wanted[h.Dst] {
				if _, err := run(ctx, "ip", family, "route", "del", h.Dst, "proto", strconv.Itoa(RouteProtocol)); err != nil {
					return err
				}
			}
		}
	}
	for _, r := range want {
		if _, err := run(ctx, "ip", "route", "replace", r.Dst.String(), "via", r.Via.String(), "proto", strconv.Itoa(RouteProtocol)); err != nil {
			return err
		}
	}
	return nil
}

// masqueradeChain holds the masquerading rules; POSTROUTING jumps to it.
const masqueradeChain = "KINDNODE-MASQ"

// EnsureMasquerade makes traffic from the pod network to anywhere outside it leave with the node's address.
func EnsureMasquerade(ctx context.Context, run Runner, podSubnet netip.Prefix) error {
	cmd := "iptables"
	if podSubnet.Addr().Is6() {
		cmd = "ip6tables"
	}
	// Creating an existing chain fails; that is the only failure tolerated here.
	if _, err := run(ctx, cmd, "-w", "-t", "nat", "-N", masqueradeChain); err != nil && !strings.Contains(err.Error(), "exists") {
		return err
	}
	rules := [][]string{
		{"POSTROUTING", "-m", "comment", "--comment", "kindnode pod network", "-j", masqueradeChain},
		{masqueradeChain, "-d", podSubnet.String(), "-j", "RETURN"},
		{masqueradeChain, "-s", podSubnet.String(), "-j", "MASQUERADE"},
	}
	for _, r := range rules {
		check := append([]string{"-w", "-t", "nat", "-C"}, r...)
		if _, err := run(ctx, cmd, check...); err == nil {
			continue
		}
		if _, err := run(ctx, cmd, append([]string{"-w", "-t", "nat", "-A"}, r...)...); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileIfChanged writes data to path atomically, unless the file already holds it. It reports whether it
// wrote.
func WriteFileIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}
