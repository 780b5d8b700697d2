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
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// canary is what a command substitution in these tests would create if a
// path or content ever reached a shell as code. It replaces the rm -rf of the
// unit cases: this test really runs the commands.
const canary = "pwned"

// root prefixes every path in these tests. It does not exist, so that a
// command whose path escaped the rewrite below fails instead of writing to
// the real file system, where the test may well run as root.
const root = "/kindnode-shell-test"

// inDir moves a file command's paths under dir. It refuses to run anything
// whose path it cannot move, such as a write script that names its path
// itself. chown is skipped because the test may not run as root.
func inDir(t *testing.T, dir string, c Command) ([]string, bool) {
	t.Helper()
	argv := append([]string{}, c.Argv...)
	switch {
	case len(argv) == 3 && ((argv[0] == "mkdir" && argv[1] == "-p") || argv[0] == "chmod"):
		argv[2] = filepath.Join(dir, argv[2])
	case len(argv) == 5 && argv[0] == "/bin/sh" && argv[1] == "-c" &&
		(argv[2] == `cat > "$1"` || argv[2] == `cat >> "$1"`) && argv[3] == "sh":
		argv[4] = filepath.Join(dir, argv[4])
	case len(argv) == 3 && argv[0] == "chown":
		return nil, false
	default:
		t.Fatalf("refusing to run %q: its paths cannot be moved into the test directory", argv)
	}
	for _, a := range argv {
		if strings.Contains(a, root) && !strings.HasPrefix(a, dir) {
			t.Fatalf("refusing to run %q: it names a path outside the test directory", argv)
		}
	}
	return argv, true
}

// TestWriteCommandsInShell runs the write_files commands with the real
// /bin/sh and checks that every file holds exactly the bytes it should: no
// expansion, substitution or quoting happens to paths or contents.
func TestWriteCommandsInShell(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Fatalf("these tests run the commands with /bin/sh: %v", err)
	}
	meta := strings.ReplaceAll(shellMetacharacters, "rm -rf /", "touch "+canary) + "`touch " + canary + "`\n"

	type file struct {
		content []byte
		mode    fs.FileMode // 0: not checked
	}
	cases := map[string]struct {
		reason string
		data   string
		want   map[string]file
	}{
		"TrickyContent": {
			reason: "Text that means something to a shell must arrive verbatim.",
			data: "#cloud-config\nwrite_files:\n" +
				"- path: " + root + "/etc/meta\n  content: " + literal(meta, "    ") +
				"- path: " + root + "/etc/heredoc\n  content: " + literal(heredocTerminators, "    ") +
				"- path: " + root + "/etc/quotes\n  content: " + literal(quotes, "    ") +
				"- path: " + root + "/etc/nonl\n  content: " + literal(noTrailingNewline, "    ") +
				"- path: " + root + "/etc/empty\n",
			want: map[string]file{
				root + "/etc/meta":    {content: []byte(meta)},
				root + "/etc/heredoc": {content: []byte(heredocTerminators)},
				root + "/etc/quotes":  {content: []byte(quotes)},
				root + "/etc/nonl":    {content: []byte(noTrailingNewline)},
				root + "/etc/empty":   {content: []byte{}},
			},
		},
		"BinaryContent": {
			reason: "Binary content must survive byte for byte, whatever its encoding.",
			data: "#cloud-config\nwrite_files:\n" +
				"- path: " + root + "/bin/b64\n  encoding: b64\n  content: " + b64(binaryContent) + "\n" +
				"- path: " + root + "/bin/gz\n  encoding: gz\n  content: !!binary " + b64(mustGzip(binaryContent)) + "\n" +
				"- path: " + root + "/bin/gzb64\n  encoding: gzip+base64\n  content: " + b64(mustGzip(binaryContent)) + "\n",
			want: map[string]file{
				root + "/bin/b64":   {content: binaryContent},
				root + "/bin/gz":    {content: binaryContent},
				root + "/bin/gzb64": {content: binaryContent},
			},
		},
		"TrickyPaths": {
			reason: "Paths are arguments, so spaces and shell syntax in them are just characters.",
			data: "#cloud-config\nwrite_files:\n" +
				"- path: \"" + root + "/etc/$(touch " + canary + ")/`touch " + canary + "`;x y\"\n  content: a\n" +
				"- path: " + root + "/etc/my dir/file name.conf\n  permissions: '0600'\n  owner: root:root\n  content: b\n",
			want: map[string]file{
				root + "/etc/$(touch " + canary + ")/`touch " + canary + "`;x y": {content: []byte("a")},
				root + "/etc/my dir/file name.conf":                              {content: []byte("b"), mode: 0o600},
			},
		},
		"Append": {
			reason: "An appending entry should add to what an earlier entry wrote.",
			data: "#cloud-config\nwrite_files:\n" +
				"- path: " + root + "/etc/hosts\n  content: " + literal("127.0.0.1 localhost\n", "    ") +
				"- path: " + root + "/etc/hosts\n  append: true\n  encoding: b64\n  content: " + b64(binaryContent) + "\n",
			want: map[string]file{
				root + "/etc/hosts": {content: append([]byte("127.0.0.1 localhost\n"), binaryContent...)},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cmds, err := Parse(FormatCloudConfig, []byte(tc.data), Options{})
			if err != nil {
				t.Fatalf("\n%s\nParse(...): %v", tc.reason, err)
			}
			dir := t.TempDir()
			for _, c := range cmds {
				argv, ok := inDir(t, dir, c)
				if !ok {
					continue
				}
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
				if c.Stdin != nil {
					cmd.Stdin = bytes.NewReader(c.Stdin)
				}
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("\n%s\n%q: %v\n%s", tc.reason, argv, err, out)
				}
			}
			for p, want := range tc.want {
				got, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil {
					t.Errorf("\n%s\n%s: %v", tc.reason, p, err)
					continue
				}
				if diff := cmp.Diff(want.content, got); diff != "" {
					t.Errorf("\n%s\n%s: -want content, +got content:\n%s", tc.reason, p, diff)
				}
				if want.mode == 0 {
					continue
				}
				fi, err := os.Stat(filepath.Join(dir, p))
				if err != nil {
					t.Errorf("\n%s\n%s: %v", tc.reason, p, err)
				} else if fi.Mode().Perm() != want.mode {
					t.Errorf("\n%s\n%s: want mode %o, got %o", tc.reason, p, want.mode, fi.Mode().Perm())
				}
			}
			_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Name() == canary {
					t.Errorf("\n%s\n%s exists: a shell interpolated a path or content", tc.reason, p)
				}
				return nil
			})
		})
	}
}
