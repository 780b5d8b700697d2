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

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterArgs(t *testing.T) {
	// A bounding set without CAP_SYS_RESOURCE (24), as on the hosts this runs on.
	const bounding = uint64(0x1fffeffffff)
	all := []string{"CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_BPF", "CAP_FUTURE_UNKNOWN"}
	kept := []string{"CAP_CHOWN", "CAP_BPF", "CAP_FUTURE_UNKNOWN"}

	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	if err := os.Mkdir(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	config := map[string]any{
		"ociVersion": "1.2.0",
		"process": map[string]any{
			"args":         []string{"/sbin/init"},
			"capabilities": map[string][]string{"bounding": all, "effective": all, "permitted": all},
		},
		"hostname": "node",
	}
	process := map[string]any{"args": []string{"sh"}, "capabilities": map[string][]string{"bounding": all}}
	write := func(path string, v any) {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bundle, "config.json"), config)
	procFile := filepath.Join(dir, "process.json")
	write(procFile, process)

	for _, f := range []string{filepath.Join(bundle, "config.json"), procFile} {
		if err := filterFile(f, bounding); err != nil {
			t.Fatalf("filterFile(%s): %v", f, err)
		}
	}

	var gotConfig struct {
		OCIVersion string `json:"ociVersion"`
		Hostname   string `json:"hostname"`
		Process    struct {
			Args         []string            `json:"args"`
			Capabilities map[string][]string `json:"capabilities"`
		} `json:"process"`
	}
	read := func(path string, v any) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	read(filepath.Join(bundle, "config.json"), &gotConfig)
	if diff := cmp.Diff(map[string][]string{"bounding": kept, "effective": kept, "permitted": kept}, gotConfig.Process.Capabilities); diff != "" {
		t.Errorf("config.json capabilities: -want, +got:\n%s", diff)
	}
	if gotConfig.OCIVersion != "1.2.0" || gotConfig.Hostname != "node" || len(gotConfig.Process.Args) != 1 {
		t.Errorf("other fields of config.json changed: %+v", gotConfig)
	}
	var gotProcess struct {
		Capabilities map[string][]string `json:"capabilities"`
	}
	read(procFile, &gotProcess)
	if diff := cmp.Diff(map[string][]string{"bounding": kept}, gotProcess.Capabilities); diff != "" {
		t.Errorf("process file capabilities: -want, +got:\n%s", diff)
	}
}

func TestFilterArgsFindsFiles(t *testing.T) {
	// Arguments that name no file leave everything alone and need no /proc.
	if err := filterArgs([]string{"--root", "/run/runc", "state", "abc"}); err != nil {
		t.Fatalf("filterArgs(state) = %v", err)
	}
	// A named file that does not exist is an error, not a silent pass.
	if err := filterArgs([]string{"create", "--bundle", filepath.Join(t.TempDir(), "missing"), "id"}); err == nil {
		t.Fatal("filterArgs() with a missing bundle: want an error")
	}
	if err := filterArgs([]string{"exec", "--process=" + filepath.Join(t.TempDir(), "missing.json"), "id"}); err == nil {
		t.Fatal("filterArgs() with a missing process file: want an error")
	}
}
