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
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// sentinels are every error class Parse may return.
var sentinels = []error{
	ErrUnsupportedFormat, ErrMissingHeader, ErrUnsupportedTemplate, ErrMalformed, ErrUnsupportedModule,
	ErrUnsupportedEncoding, ErrInvalidContent, ErrTooLarge, ErrInvalidPermissions, ErrInvalidPath, ErrInvalidOwner,
}

// FuzzParse checks that no bootstrap data can make Parse panic, return an
// unclassified error, or produce a write command in which the path or
// content could reach a shell as code.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(string(tc.args.format), []byte(tc.args.data), tc.args.opts.KubeadmIgnorePreflightErrors)
	}
	f.Fuzz(func(t *testing.T, format string, data []byte, ignore bool) {
		check(t, Format(format), data, ignore)
		if format != "" && format != string(FormatCloudConfig) {
			// Most mutations of the format are rejected at once; parse the
			// data anyway so that no input is wasted.
			check(t, FormatCloudConfig, data, ignore)
		}
	})
}

func check(t *testing.T, format Format, data []byte, ignore bool) {
	t.Helper()
	cmds, err := Parse(format, data, Options{KubeadmIgnorePreflightErrors: ignore})
	if err != nil {
		if cmds != nil {
			t.Errorf("Parse(...) returned commands with error %v", err)
		}
		classified := false
		for _, s := range sentinels {
			classified = classified || errors.Is(err, s)
		}
		if !classified {
			t.Errorf("Parse(...): error %v wraps no Err* sentinel", err)
		}
		return
	}
	for i, c := range cmds {
		if len(c.Argv) == 0 {
			t.Fatalf("command %d has no argv", i)
		}
		if len([]rune(c.Description)) > descriptionMax || strings.ContainsAny(c.Description, "\n\r\t") {
			t.Errorf("command %d: description %q is not one short line", i, c.Description)
		}
		// Only write commands carry stdin.
		if c.Stdin == nil {
			continue
		}
		if len(c.Argv) != 5 || c.Argv[0] != "/bin/sh" || c.Argv[1] != "-c" || c.Argv[3] != "sh" {
			t.Fatalf("write command %d has argv %q, want /bin/sh -c SCRIPT sh PATH", i, c.Argv)
		}
		script, p := c.Argv[2], c.Argv[4]
		if script != `cat > "$1"` && script != `cat >> "$1"` {
			t.Errorf("write command %d: script %q, want cat > \"$1\" or cat >> \"$1\"", i, script)
		}
		if p == "" || strings.Contains(script, p) {
			t.Errorf("write command %d: path %q appears in the script %q", i, p, script)
		}
		if !strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 {
			t.Errorf("write command %d: path %q is not an absolute path execve can take", i, p)
		}
		// The directory is created first, by an argv of its own.
		if i == 0 || strings.Join(cmds[i-1].Argv, "\x00") != strings.Join([]string{"mkdir", "-p", path.Dir(p)}, "\x00") {
			t.Errorf("write command %d for %q does not follow mkdir -p %q", i, p, path.Dir(p))
		}
	}
}
