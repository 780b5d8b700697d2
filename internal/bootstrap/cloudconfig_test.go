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
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Contents that would be mangled, or run, if they ever reached a shell as
// text: expansions, command substitution, heredoc terminators and quotes.
const (
	shellMetacharacters = "export A=$HOME B=${PATH}\necho `id` $(rm -rf /) \\$ \\\\\n"
	heredocTerminators  = "first\nEND\nEOF\n'EOF'\nlast\n"
	quotes              = "it's 'single', \"double\" and \"it's\" mixed\n"
	noTrailingNewline   = "no newline at the end"
)

// binaryContent has NULs, invalid UTF-8 and bytes a shell or YAML would treat specially.
var binaryContent = []byte{0x00, 0xff, 0xfe, '\n', 0x00, 'E', 'O', 'F', '\n', 0x80, 0x1b, '\'', '`', '$', '(', 0x00}

func mustGzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// literal renders s as a YAML literal block scalar at the given indent,
// keeping or stripping the final newline as s has it.
func literal(s, indent string) string {
	chomp := "|"
	if !strings.HasSuffix(s, "\n") {
		chomp = "|-"
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return chomp + "\n" + indent + strings.Join(lines, "\n"+indent) + "\n"
}

// wrap breaks s into lines of n characters, as base64 in a YAML block often is.
func wrap(s string, n int, indent string) string {
	var lines []string
	for len(s) > n {
		lines = append(lines, s[:n])
		s = s[n:]
	}
	lines = append(lines, s)
	return indent + strings.Join(lines, "\n"+indent) + "\n"
}

func mkdirCmd(dir string) Command {
	return Command{Argv: []string{"mkdir", "-p", dir}, Description: "create directory " + dir}
}

func writeCmd(path string, content []byte) Command {
	return Command{Argv: []string{"/bin/sh", "-c", `cat > "$1"`, "sh", path}, Stdin: content, Description: "write " + path}
}

func appendCmd(path string, content []byte) Command {
	return Command{Argv: []string{"/bin/sh", "-c", `cat >> "$1"`, "sh", path}, Stdin: content, Description: "append to " + path}
}

func chmodCmd(mode, path string) Command {
	return Command{Argv: []string{"chmod", mode, path}, Description: "chmod " + mode + " " + path}
}

func chownCmd(owner, path string) Command {
	return Command{Argv: []string{"chown", owner, path}, Description: "chown " + owner + " " + path}
}

func shCmd(script, description string) Command {
	return Command{Argv: []string{"/bin/sh", "-c", script}, Description: description}
}

func argvCmd(description string, argv ...string) Command {
	return Command{Argv: argv, Description: description}
}

type parseArgs struct {
	format Format
	data   string
	opts   Options
}

type parseWant struct {
	cmds []Command
	err  error
}

// parseCases are shared with FuzzParse as its seed corpus.
func parseCases() map[string]struct {
	reason string
	args   parseArgs
	want   parseWant
} {
	const cabpkInit = "kubeadm init --config /run/kubeadm/kubeadm.yaml  && echo success > /run/cluster-api/bootstrap-success.complete"
	const cabpkJoin = "kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml  && echo success > /run/cluster-api/bootstrap-success.complete"
	ignore := Options{KubeadmIgnorePreflightErrors: true}

	return map[string]struct {
		reason string
		args   parseArgs
		want   parseWant
	}{
		"Empty": {
			reason: "A cloud-config with nothing in it should produce no commands.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\n"},
			want:   parseWant{},
		},
		"EmptyFormatMeansCloudConfig": {
			reason: "Cluster API Secrets without a format key hold cloud-config.",
			args:   parseArgs{data: "#cloud-config\nruncmd: [ls]\n"},
			want:   parseWant{cmds: []Command{shCmd("ls", "run ls")}},
		},
		"LeadingBlankLinesAndCRLF": {
			reason: "Blank lines before the header, trailing white space and CRLF line ends should be accepted.",
			args:   parseArgs{format: FormatCloudConfig, data: "\n  \r\n#cloud-config \r\nruncmd:\r\n- ls\r\n"},
			want:   parseWant{cmds: []Command{shCmd("ls", "run ls")}},
		},
		"JinjaHeader": {
			reason: "Cluster API's kubeadm bootstrap provider starts its cloud-config with a Jinja header line.",
			args:   parseArgs{format: FormatCloudConfig, data: "## template: jinja\n#cloud-config\nruncmd: [ls]\n"},
			want:   parseWant{cmds: []Command{shCmd("ls", "run ls")}},
		},
		"DocumentStartAfterComments": {
			reason: "Comments and an explicit --- before the content still make one document.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\n\n# from 1 files\n# part-001\n\n---\nruncmd: [ls]\n"},
			want:   parseWant{cmds: []Command{shCmd("ls", "run ls")}},
		},
		"EmptyModulesAreAbsent": {
			reason: "Modules we do not implement are harmless when their value is null, empty or blank.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nbootcmd:\nntp: {}\npackages: []\nhostname: ''\n" +
				"users: ~\nwrite_files: []\nruncmd:\n"},
			want: parseWant{},
		},
		"ShellMetacharactersInContent": {
			reason: "Expansions and command substitutions in content must reach the file verbatim, on stdin only.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/meta\n  content: " +
				literal(shellMetacharacters, "    ")},
			want: parseWant{cmds: []Command{mkdirCmd("/etc"), writeCmd("/etc/meta", []byte(shellMetacharacters))}},
		},
		"HeredocTerminatorsInContent": {
			reason: "Lines that would end a heredoc must not end the content.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/heredoc\n  content: " +
				literal(heredocTerminators, "    ")},
			want: parseWant{cmds: []Command{mkdirCmd("/etc"), writeCmd("/etc/heredoc", []byte(heredocTerminators))}},
		},
		"QuotesInContent": {
			reason: "Single and double quotes in content must not need escaping.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/quotes\n  content: " +
				literal(quotes, "    ")},
			want: parseWant{cmds: []Command{mkdirCmd("/etc"), writeCmd("/etc/quotes", []byte(quotes))}},
		},
		"NoTrailingNewline": {
			reason: "Content without a final newline must not gain one.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/nonl\n  content: " +
				literal(noTrailingNewline, "    ")},
			want: parseWant{cmds: []Command{mkdirCmd("/etc"), writeCmd("/etc/nonl", []byte(noTrailingNewline))}},
		},
		"NoContent": {
			reason: "A file without content is written empty, with stdin that ends at once.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/empty\n- path: /etc/null\n  content:\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/etc"), writeCmd("/etc/empty", []byte{}),
				mkdirCmd("/etc"), writeCmd("/etc/null", []byte{}),
			}},
		},
		"Base64Binary": {
			reason: "b64 and base64 content should be decoded byte for byte, NULs and invalid UTF-8 included.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n" +
				"- path: /bin/b64\n  encoding: b64\n  content: " + b64(binaryContent) + "\n" +
				"- path: /bin/base64\n  encoding: Base64\n  content: " + b64(binaryContent) + "\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/bin"), writeCmd("/bin/b64", binaryContent),
				mkdirCmd("/bin"), writeCmd("/bin/base64", binaryContent),
			}},
		},
		"WrappedBase64": {
			reason: "Line breaks inside base64 content should be ignored.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/wrapped\n  encoding: base64\n  content: |\n" +
				wrap(b64([]byte(shellMetacharacters+heredocTerminators)), 16, "    ")},
			want: parseWant{cmds: []Command{mkdirCmd("/etc"), writeCmd("/etc/wrapped", []byte(shellMetacharacters+heredocTerminators))}},
		},
		"Gzip": {
			reason: "gz content is raw gzip in a YAML !!binary scalar, as cloud-init expects.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/gz\n  encoding: gz\n  content: !!binary |\n" +
				wrap(b64(mustGzip(binaryContent)), 20, "    ") +
				"- path: /etc/gzip\n  encoding: gzip\n  content: !!binary " + b64(mustGzip([]byte(quotes))) + "\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/etc"), writeCmd("/etc/gz", binaryContent),
				mkdirCmd("/etc"), writeCmd("/etc/gzip", []byte(quotes)),
			}},
		},
		"GzipBase64": {
			reason: "Every spelling of gzip plus base64 should be decoded twice.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n" +
				"- path: /a\n  encoding: gzip+base64\n  content: " + b64(mustGzip(binaryContent)) + "\n" +
				"- path: /b\n  encoding: gz+b64\n  content: " + b64(mustGzip([]byte(heredocTerminators))) + "\n" +
				"- path: /c\n  encoding: gz+base64\n  content: " + b64(mustGzip([]byte(noTrailingNewline))) + "\n" +
				"- path: /d\n  encoding: gzip+b64\n  content: " + b64(mustGzip(nil)) + "\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/"), writeCmd("/a", binaryContent),
				mkdirCmd("/"), writeCmd("/b", []byte(heredocTerminators)),
				mkdirCmd("/"), writeCmd("/c", []byte(noTrailingNewline)),
				mkdirCmd("/"), writeCmd("/d", []byte{}),
			}},
		},
		"BinaryTagWithoutEncoding": {
			reason: "A !!binary scalar is already bytes; without an encoding they are written as they are.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /bin/blob\n  content: !!binary " + b64(binaryContent) + "\n"},
			want:   parseWant{cmds: []Command{mkdirCmd("/bin"), writeCmd("/bin/blob", binaryContent)}},
		},
		"Append": {
			reason: "append: true should append instead of truncating.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/hosts\n  append: true\n  content: " +
				literal("10.0.0.1 api\n", "    ") + "- path: /etc/motd\n  append: false\n  content: hi\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/etc"), appendCmd("/etc/hosts", []byte("10.0.0.1 api\n")),
				mkdirCmd("/etc"), writeCmd("/etc/motd", []byte("hi")),
			}},
		},
		"OwnerAndPermissions": {
			reason: "Permissions and owner should be applied after the write, chmod before chown.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n" +
				"- path: /etc/kubernetes/pki/ca.key\n  owner: root:root\n  permissions: '0600'\n  content: key\n" +
				"- path: /usr/local/bin/run\n  owner: kube\n  permissions: \"0755\"\n  content: x\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/etc/kubernetes/pki"), writeCmd("/etc/kubernetes/pki/ca.key", []byte("key")),
				chmodCmd("0600", "/etc/kubernetes/pki/ca.key"), chownCmd("root:root", "/etc/kubernetes/pki/ca.key"),
				mkdirCmd("/usr/local/bin"), writeCmd("/usr/local/bin/run", []byte("x")),
				chmodCmd("0755", "/usr/local/bin/run"), chownCmd("kube", "/usr/local/bin/run"),
			}},
		},
		"PermissionSpellings": {
			reason: "An unquoted 0644 is an integer to YAML but meant as octal; 644 and 0o644 mean the same.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n" +
				"- path: /a\n  permissions: 0644\n- path: /b\n  permissions: '644'\n- path: /c\n  permissions: 0o4755\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/"), writeCmd("/a", []byte{}), chmodCmd("0644", "/a"),
				mkdirCmd("/"), writeCmd("/b", []byte{}), chmodCmd("0644", "/b"),
				mkdirCmd("/"), writeCmd("/c", []byte{}), chmodCmd("4755", "/c"),
			}},
		},
		"PathWithSpacesAndShellSyntax": {
			reason: "Paths are argv elements, so spaces and shell syntax in them need no quoting.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n" +
				"- path: /etc/my dir/file name.conf\n  permissions: '0644'\n  owner: root\n  content: x\n" +
				"- path: \"/tmp/$(touch pwned)/`id`;x y\"\n  content: y\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/etc/my dir"), writeCmd("/etc/my dir/file name.conf", []byte("x")),
				chmodCmd("0644", "/etc/my dir/file name.conf"), chownCmd("root", "/etc/my dir/file name.conf"),
				mkdirCmd("/tmp/$(touch pwned)"), writeCmd("/tmp/$(touch pwned)/`id`;x y", []byte("y")),
			}},
		},
		"RunCmdString": {
			reason: "A runcmd string is a shell script, as in cloud-init.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- 'echo $HOME > /tmp/home && ls | wc -l'\n"},
			want:   parseWant{cmds: []Command{shCmd("echo $HOME > /tmp/home && ls | wc -l", "run echo $HOME > /tmp/home && ls | wc -l")}},
		},
		"RunCmdList": {
			reason: "A runcmd list is an argv; scalars that YAML reads as numbers or booleans are kept as written.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- [systemctl, restart, kubelet]\n- [sleep, 5]\n- [test, true, '$HOME']\n"},
			want: parseWant{cmds: []Command{
				argvCmd("run systemctl restart kubelet", "systemctl", "restart", "kubelet"),
				argvCmd("run sleep 5", "sleep", "5"),
				argvCmd("run test true $HOME", "test", "true", "$HOME"),
			}},
		},
		"RunCmdMixedAndModuleOrder": {
			reason: "Commands keep their order, and write_files runs before runcmd wherever they are in the document.",
			args: parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- echo one\n- [echo, two]\n- |\n  echo three\n  echo four\n" +
				"write_files:\n- path: /x\n  content: x\n"},
			want: parseWant{cmds: []Command{
				mkdirCmd("/"), writeCmd("/x", []byte("x")),
				shCmd("echo one", "run echo one"),
				argvCmd("run echo two", "echo", "two"),
				shCmd("echo three\necho four\n", "run echo three echo four"),
			}},
		},
		"Anchors": {
			reason: "YAML aliases should resolve to the anchored value.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- &hi [echo, hi]\n- *hi\n"},
			want:   parseWant{cmds: []Command{argvCmd("run echo hi", "echo", "hi"), argvCmd("run echo hi", "echo", "hi")}},
		},
		"LongDescriptionTruncated": {
			reason: "Descriptions should stay short enough for a condition message.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- echo " + strings.Repeat("x", 100) + "\n"},
			want: parseWant{cmds: []Command{
				shCmd("echo "+strings.Repeat("x", 100), "run echo "+strings.Repeat("x", 68)+"..."),
			}},
		},
		"KubeadmInitString": {
			reason: "The option should add the flag right after kubeadm init in Cluster API's init command.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- '" + cabpkInit + "'\n", opts: ignore},
			want: parseWant{cmds: []Command{shCmd(
				"kubeadm init --ignore-preflight-errors=all --config /run/kubeadm/kubeadm.yaml  && echo success > /run/cluster-api/bootstrap-success.complete",
				"run kubeadm init --ignore-preflight-errors=all --config /run/kubeadm/kubeadm....",
			)}},
		},
		"KubeadmJoinString": {
			reason: "The option should add the flag right after kubeadm join in Cluster API's join command.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- '" + cabpkJoin + "'\n", opts: ignore},
			want: parseWant{cmds: []Command{shCmd(
				"kubeadm join --ignore-preflight-errors=all --config /run/kubeadm/kubeadm-join-config.yaml  && echo success > /run/cluster-api/bootstrap-success.complete",
				"run kubeadm join --ignore-preflight-errors=all --config /run/kubeadm/kubeadm-...",
			)}},
		},
		"KubeadmAfterSeparators": {
			reason: "kubeadm after &&, ;, a newline or a shell keyword is a command of its own and gets the flag too.",
			args: parseArgs{format: FormatCloudConfig, opts: ignore, data: "#cloud-config\nruncmd:\n" +
				"- 'swapoff -a && /usr/bin/kubeadm init --config c.yaml'\n" +
				"- 'true;kubeadm join --config j.yaml; echo done'\n" +
				"- |\n  set -e\n  kubeadm join --config j.yaml\n" +
				"- 'for i in 1 2 3; do kubeadm join --config j.yaml && break; done'\n" +
				"- 'if true; then sudo kubeadm init; else { kubeadm join; }; fi'\n"},
			want: parseWant{cmds: []Command{
				shCmd("swapoff -a && /usr/bin/kubeadm init --ignore-preflight-errors=all --config c.yaml",
					"run swapoff -a && /usr/bin/kubeadm init --ignore-preflight-errors=all --confi..."),
				shCmd("true;kubeadm join --ignore-preflight-errors=all --config j.yaml; echo done",
					"run true;kubeadm join --ignore-preflight-errors=all --config j.yaml; echo done"),
				shCmd("set -e\nkubeadm join --ignore-preflight-errors=all --config j.yaml\n",
					"run set -e kubeadm join --ignore-preflight-errors=all --config j.yaml"),
				shCmd("for i in 1 2 3; do kubeadm join --ignore-preflight-errors=all --config j.yaml && break; done",
					"run for i in 1 2 3; do kubeadm join --ignore-preflight-errors=all --config j...."),
				shCmd("if true; then sudo kubeadm init --ignore-preflight-errors=all; else { kubeadm join --ignore-preflight-errors=all; }; fi",
					"run if true; then sudo kubeadm init --ignore-preflight-errors=all; else { kub..."),
			}},
		},
		"KubeadmList": {
			reason: "In the list form the flag should be appended after kubeadm init's or join's arguments.",
			args: parseArgs{format: FormatCloudConfig, opts: ignore, data: "#cloud-config\nruncmd:\n" +
				"- [kubeadm, init, --config, /run/kubeadm/kubeadm.yaml]\n- [/usr/bin/kubeadm, join, --config, j.yaml]\n" +
				"- [bash, -c, 'kubeadm join --config j.yaml']\n"},
			want: parseWant{cmds: []Command{
				argvCmd("run kubeadm init --config /run/kubeadm/kubeadm.yaml --ignore-preflight-errors...",
					"kubeadm", "init", "--config", "/run/kubeadm/kubeadm.yaml", "--ignore-preflight-errors=all"),
				argvCmd("run /usr/bin/kubeadm join --config j.yaml --ignore-preflight-errors=all",
					"/usr/bin/kubeadm", "join", "--config", "j.yaml", "--ignore-preflight-errors=all"),
				argvCmd("run bash -c kubeadm join --ignore-preflight-errors=all --config j.yaml",
					"bash", "-c", "kubeadm join --ignore-preflight-errors=all --config j.yaml"),
			}},
		},
		"KubeadmAlreadyFlagged": {
			reason: "A command that already chooses which preflight errors to ignore should be left alone.",
			args: parseArgs{format: FormatCloudConfig, opts: ignore, data: "#cloud-config\nruncmd:\n" +
				"- 'kubeadm init --ignore-preflight-errors=Swap --config c.yaml'\n" +
				"- [kubeadm, join, --ignore-preflight-errors, NumCPU]\n"},
			want: parseWant{cmds: []Command{
				shCmd("kubeadm init --ignore-preflight-errors=Swap --config c.yaml", "run kubeadm init --ignore-preflight-errors=Swap --config c.yaml"),
				argvCmd("run kubeadm join --ignore-preflight-errors NumCPU", "kubeadm", "join", "--ignore-preflight-errors", "NumCPU"),
			}},
		},
		"KubeadmOtherCommandsUntouched": {
			reason: "Only kubeadm init and join invocations take the flag; mentions, other subcommands and phases do not.",
			args: parseArgs{format: FormatCloudConfig, opts: ignore, data: "#cloud-config\nruncmd:\n" +
				"- 'echo kubeadm init'\n- 'kubeadm reset -f'\n- 'kubeadm initialize'\n- 'mykubeadm init'\n" +
				"- 'kubeadm init phase certs all'\n- [kubeadm, join, phase, kubelet-start]\n- [kubeadm, version]\n- [echo, kubeadm, init]\n"},
			want: parseWant{cmds: []Command{
				shCmd("echo kubeadm init", "run echo kubeadm init"),
				shCmd("kubeadm reset -f", "run kubeadm reset -f"),
				shCmd("kubeadm initialize", "run kubeadm initialize"),
				shCmd("mykubeadm init", "run mykubeadm init"),
				shCmd("kubeadm init phase certs all", "run kubeadm init phase certs all"),
				argvCmd("run kubeadm join phase kubelet-start", "kubeadm", "join", "phase", "kubelet-start"),
				argvCmd("run kubeadm version", "kubeadm", "version"),
				argvCmd("run echo kubeadm init", "echo", "kubeadm", "init"),
			}},
		},
		"KubeadmPreflightPhase": {
			reason: "kubeadm init phase preflight is the one phase that takes the flag.",
			args:   parseArgs{format: FormatCloudConfig, opts: ignore, data: "#cloud-config\nruncmd:\n- [kubeadm, init, phase, preflight]\n"},
			want: parseWant{cmds: []Command{
				argvCmd("run kubeadm init phase preflight --ignore-preflight-errors=all", "kubeadm", "init", "phase", "preflight", "--ignore-preflight-errors=all"),
			}},
		},
		"KubeadmOptionOff": {
			reason: "Without the option kubeadm commands are left as they are.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- '" + cabpkInit + "'\n- [kubeadm, join]\n"},
			want: parseWant{cmds: []Command{
				shCmd(cabpkInit, "run kubeadm init --config /run/kubeadm/kubeadm.yaml && echo success > /run/cl..."),
				argvCmd("run kubeadm join", "kubeadm", "join"),
			}},
		},
		"ErrIgnition": {
			reason: "Ignition bootstrap data cannot be run.",
			args:   parseArgs{format: FormatIgnition, data: `{"ignition":{"version":"3.4.0"}}`},
			want:   parseWant{err: ErrUnsupportedFormat},
		},
		"ErrUnknownFormat": {
			reason: "A format we do not know cannot be run.",
			args:   parseArgs{format: "shell", data: "#!/bin/sh\n"},
			want:   parseWant{err: ErrUnsupportedFormat},
		},
		"ErrMissingHeader": {
			reason: "Data without the #cloud-config line is some other kind of user data.",
			args:   parseArgs{format: FormatCloudConfig, data: "runcmd: [ls]\n"},
			want:   parseWant{err: ErrMissingHeader},
		},
		"ErrHeaderNotFirst": {
			reason: "The header must be the first non-blank line.",
			args:   parseArgs{format: FormatCloudConfig, data: "runcmd: [ls]\n#cloud-config\n"},
			want:   parseWant{err: ErrMissingHeader},
		},
		"ErrOtherHeader": {
			reason: "#cloud-config-archive is a different format.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config-archive\n- type: text/cloud-config\n"},
			want:   parseWant{err: ErrMissingHeader},
		},
		"ErrJinja": {
			reason: "Jinja expressions need instance metadata we do not have.",
			args:   parseArgs{format: FormatCloudConfig, data: "## template: jinja\n#cloud-config\nruncmd:\n- echo '{{ ds.meta_data.local_hostname }}'\n"},
			want:   parseWant{err: ErrUnsupportedTemplate},
		},
		"ErrJinjaBeyondMetaData": {
			reason: "Only metadata lookups are rendered; other Jinja must not reach the node unrendered.",
			args: parseArgs{format: FormatCloudConfig, opts: Options{MetaData: map[string]string{"hostname": "n"}},
				data: "## template: jinja\n#cloud-config\nruncmd:\n- echo '{% if true %}{{ ds.meta_data.hostname }}{% endif %}'\n"},
			want: parseWant{err: ErrUnsupportedTemplate},
		},
		"JinjaMetaData": {
			reason: "Metadata expressions are replaced before the YAML is read, as cloud-init does.",
			args: parseArgs{format: FormatCloudConfig, opts: Options{MetaData: map[string]string{"hostname": "cp-0", "namespace": "ns"}},
				data: "## template: jinja\n#cloud-config\nwrite_files:\n- path: /etc/id\n  content: kubernetes://{{ ds.meta_data.namespace }}/{{ds.meta_data.hostname}}\nruncmd:\n- hostname {{ ds.meta_data.hostname }}\n"},
			want: parseWant{cmds: []Command{
				{Argv: []string{"mkdir", "-p", "/etc"}, Description: "create directory /etc"},
				{Argv: []string{"/bin/sh", "-c", `cat > "$1"`, "sh", "/etc/id"}, Stdin: []byte("kubernetes://ns/cp-0"), Description: "write /etc/id"},
				{Argv: []string{"/bin/sh", "-c", "hostname cp-0"}, Description: "run hostname cp-0"},
			}},
		},
		"ErrUnknownModule": {
			reason: "A module we do not implement would silently change the node.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nbootcmd:\n- echo hi\nruncmd: [ls]\n"},
			want:   parseWant{err: ErrUnsupportedModule},
		},
		"ErrBadEncoding": {
			reason: "An encoding cloud-init does not know cannot be decoded.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  encoding: zip\n  content: x\n"},
			want:   parseWant{err: ErrUnsupportedEncoding},
		},
		"ErrBadBase64": {
			reason: "Content that is not base64 cannot be decoded as such.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  encoding: b64\n  content: not*base64\n"},
			want:   parseWant{err: ErrInvalidContent},
		},
		"ErrBadGzip": {
			reason: "Content that is not gzip cannot be decompressed.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  encoding: gz+b64\n  content: " + b64([]byte("plain")) + "\n"},
			want:   parseWant{err: ErrInvalidContent},
		},
		"ErrBadPermissionsSymbolic": {
			reason: "Symbolic modes are not octal.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  permissions: rw-r--r--\n"},
			want:   parseWant{err: ErrInvalidPermissions},
		},
		"ErrBadPermissionsDigit": {
			reason: "9 is not an octal digit.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  permissions: '0999'\n"},
			want:   parseWant{err: ErrInvalidPermissions},
		},
		"ErrBadPermissionsRange": {
			reason: "A mode cannot exceed 07777.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  permissions: '17777'\n"},
			want:   parseWant{err: ErrInvalidPermissions},
		},
		"ErrRelativePath": {
			reason: "A relative path would depend on the exec's working directory.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: etc/x\n  content: x\n"},
			want:   parseWant{err: ErrInvalidPath},
		},
		"ErrMissingPath": {
			reason: "A file needs a path.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- content: x\n"},
			want:   parseWant{err: ErrInvalidPath},
		},
		"ErrDirectoryPath": {
			reason: "A path ending in a slash names a directory, not a file.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /etc/\n"},
			want:   parseWant{err: ErrInvalidPath},
		},
		"ErrOwnerLooksLikeOption": {
			reason: "An owner starting with - would be an option to chown.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  owner: --reference=/etc/shadow\n"},
			want:   parseWant{err: ErrInvalidOwner},
		},
		"ErrMalformedYAML": {
			reason: "Data that is not YAML cannot be parsed.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd: [ls\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrTopLevelList": {
			reason: "cloud-config is a mapping of modules.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\n- ls\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrTwoDocuments": {
			reason: "cloud-init reads a single YAML document.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd: [ls]\n---\nruncmd: [rm]\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrDuplicateModule": {
			reason: "A repeated module is ambiguous.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd: [ls]\nruncmd: [rm]\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrWriteFilesNotList": {
			reason: "write_files is a list of files.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n  path: /x\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrUnknownWriteFilesField": {
			reason: "Fields we do not implement, such as defer, would change what is written when.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  defer: true\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrAppendNotBool": {
			reason: "append is a boolean.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nwrite_files:\n- path: /x\n  append: sometimes\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrRunCmdMapping": {
			reason: "A runcmd entry is a string or a list.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- {cmd: ls}\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrRunCmdEmptyList": {
			reason: "An empty argv names no program.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- []\n"},
			want:   parseWant{err: ErrMalformed},
		},
		"ErrRunCmdNested": {
			reason: "argv elements are strings.",
			args:   parseArgs{format: FormatCloudConfig, data: "#cloud-config\nruncmd:\n- [echo, [a]]\n"},
			want:   parseWant{err: ErrMalformed},
		},
	}
}

func TestParse(t *testing.T) {
	for name, tc := range parseCases() {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.args.format, []byte(tc.args.data), tc.args.opts)
			if diff := cmp.Diff(tc.want.err, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nParse(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.cmds, got); diff != "" {
				t.Errorf("\n%s\nParse(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestParseErrorMessages checks that messages name what is wrong, since they
// end up in a condition a user reads.
func TestParseErrorMessages(t *testing.T) {
	cases := map[string]struct {
		reason string
		data   string
		want   string
	}{
		"UnknownModule": {
			reason: "The module should be named.",
			data:   "#cloud-config\nbootcmd: [ls]\n",
			want:   `unsupported cloud-config module: "bootcmd"`,
		},
		"BadEncoding": {
			reason: "The entry and the encoding should be named.",
			data:   "#cloud-config\nwrite_files:\n- path: /a\n- path: /b\n  encoding: zip\n",
			want:   `cannot convert write_files entry 1: unsupported write_files encoding: "zip"`,
		},
		"BadPermissions": {
			reason: "The entry and the permissions should be named.",
			data:   "#cloud-config\nwrite_files:\n- path: /a\n  permissions: '0999'\n",
			want:   `cannot convert write_files entry 0: invalid write_files permissions, want an octal mode such as 0644: "0999"`,
		},
		"RunCmd": {
			reason: "The runcmd entry should be named.",
			data:   "#cloud-config\nruncmd:\n- ls\n- []\n",
			want:   `cannot convert runcmd entry 1: malformed cloud-config: runcmd entry is an empty list`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(FormatCloudConfig, []byte(tc.data), Options{})
			if err == nil {
				t.Fatalf("\n%s\nParse(...): want error %q, got none", tc.reason, tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("\n%s\nParse(...): -want message, +got message:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestParseTooLarge is kept out of parseCases because its inputs are too big
// to be useful fuzz seeds.
func TestParseTooLarge(t *testing.T) {
	aliases := "#cloud-config\nwrite_files:\n- path: /0\n  content: &big " + strings.Repeat("x", 1<<20) + "\n"
	for i := 1; i <= 64; i++ {
		aliases += "- path: /" + strings.Repeat("a", i) + "\n  content: *big\n"
	}
	cases := map[string]struct {
		reason string
		data   string
		want   error
	}{
		"GzipBomb": {
			reason: "Decompression should stop at the limit instead of exhausting memory.",
			data: "#cloud-config\nwrite_files:\n- path: /bomb\n  encoding: gz+b64\n  content: " +
				b64(mustGzip(make([]byte, maxExpandedSize+1))) + "\n",
			want: ErrTooLarge,
		},
		"Aliases": {
			reason: "A megabyte repeated through YAML aliases should count as many megabytes.",
			data:   aliases,
			want:   ErrTooLarge,
		},
		"RunCmdAliases": {
			reason: "Arguments count against the same limit as file contents.",
			data: "#cloud-config\nwrite_files:\n- path: /0\n  content: &big " + strings.Repeat("x", 1<<20) + "\nruncmd:\n" +
				strings.Repeat("- [echo, *big]\n", 64),
			want: ErrTooLarge,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(FormatCloudConfig, []byte(tc.data), Options{})
			if diff := cmp.Diff(tc.want, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nParse(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
