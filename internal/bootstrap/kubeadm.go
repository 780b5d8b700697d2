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

package bootstrap

import (
	"path"
	"regexp"
	"strings"
)

// ignorePreflightFlag makes kubeadm run its preflight checks but not fail on
// them. The system verification (kernel config, cgroup hierarchy) and swap
// checks cannot pass inside a container node; Cluster API's Docker provider
// adds the same flag for the same reason.
const ignorePreflightFlag = "--ignore-preflight-errors=all"

// kubeadmInShell finds kubeadm init/join where a shell command starts: at
// the start of the script, after ;, &, &&, |, ||, (, { or a newline, or
// after then, do or else; optionally run through sudo or by path. Mentions
// elsewhere, as in echo kubeadm init, are arguments and stay as they are.
var kubeadmInShell = regexp.MustCompile(
	`(?:^|[;&|({\n]|\b(?:then|do|else)\b)[ \t]*(?:sudo[ \t]+)?(?:[^\s;&|(){}]*/)?kubeadm[ \t]+(init|join)`)

// shellSeparators end one simple command in a shell script.
const shellSeparators = ";&|()\n"

// ignorePreflightErrors adds the ignore flag to a kubeadm init or join argv,
// or to such commands inside an sh -c script. Anything else, and commands
// that already set the flag, are returned unchanged.
func ignorePreflightErrors(argv []string) []string {
	switch {
	case len(argv) >= 2 && path.Base(argv[0]) == "kubeadm" && (argv[1] == "init" || argv[1] == "join"):
		if !acceptsPreflightFlag(argv[2:]) || hasPreflightFlag(argv[2:]) {
			return argv
		}
		out := append([]string{}, argv...)
		return append(out, ignorePreflightFlag)
	case len(argv) >= 3 && isShell(argv[0]) && argv[1] == "-c":
		out := append([]string{}, argv...)
		out[2] = ignorePreflightErrorsInScript(argv[2])
		return out
	}
	return argv
}

// ignorePreflightErrorsInScript inserts the flag right after each kubeadm
// init or join in a shell script.
func ignorePreflightErrorsInScript(script string) string {
	var b strings.Builder
	last := 0
	for _, m := range kubeadmInShell.FindAllStringSubmatchIndex(script, -1) {
		end := m[3] // end of "init" or "join"
		rest := script[end:]
		if rest != "" && !strings.ContainsAny(rest[:1], " \t"+shellSeparators) {
			continue // e.g. "kubeadm initialize"
		}
		args := rest
		if i := strings.IndexAny(rest, shellSeparators); i >= 0 {
			args = rest[:i]
		}
		if !acceptsPreflightFlag(strings.Fields(args)) || strings.Contains(args, "--ignore-preflight-errors") {
			continue
		}
		b.WriteString(script[last:end])
		b.WriteString(" " + ignorePreflightFlag)
		last = end
	}
	if b.Len() == 0 {
		return script
	}
	b.WriteString(script[last:])
	return b.String()
}

// acceptsPreflightFlag reports whether kubeadm init/join with these
// arguments takes the flag. Of the phase subcommands only "phase preflight"
// does; the others would fail with an unknown flag.
func acceptsPreflightFlag(args []string) bool {
	if len(args) == 0 || args[0] != "phase" {
		return true
	}
	return len(args) >= 2 && args[1] == "preflight"
}

func hasPreflightFlag(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "--ignore-preflight-errors") {
			return true
		}
	}
	return false
}

func isShell(name string) bool {
	switch path.Base(name) {
	case "sh", "bash", "dash", "ash":
		return true
	}
	return false
}
