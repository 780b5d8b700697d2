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
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Format is the format of Cluster API bootstrap data, as found in the format
// key of the bootstrap data Secret.
type Format string

// Bootstrap data formats a Cluster API bootstrap provider can produce.
const (
	// FormatCloudConfig is cloud-init cloud-config, the only format we run.
	FormatCloudConfig Format = "cloud-config"
	// FormatIgnition is Ignition JSON, which we reject.
	FormatIgnition Format = "ignition"
)

// Command is one process to run in the node container.
type Command struct {
	// Argv is executed directly, never through a shell, so that paths and
	// arguments from the bootstrap data are not interpreted. Only runcmd
	// string entries are shell scripts, because cloud-init runs them with sh.
	Argv []string
	// Stdin is fed to the process; nil means the process gets no stdin. It
	// is the only way file contents reach the node.
	Stdin []byte
	// Description is short human text for progress conditions.
	Description string
}

// Options tune how bootstrap data is turned into commands.
type Options struct {
	// KubeadmIgnorePreflightErrors adds --ignore-preflight-errors=all to
	// kubeadm init and kubeadm join commands. kubeadm's system verification
	// (kernel config, cgroups) and swap checks fail inside a container node,
	// which Cluster API's Docker provider works around the same way.
	KubeadmIgnorePreflightErrors bool

	// MetaData answers the {{ ds.meta_data.<key> }} expressions of bootstrap
	// data under cloud-init's "## template: jinja" header, the only Jinja
	// Cluster API templates use (for example to pass the node's provider ID to
	// the kubelet). Any other expression is ErrUnsupportedTemplate.
	MetaData map[string]string
}

// The cloud-config modules we implement. Kubeadm bootstrap data uses only
// these two; anything else is rejected rather than silently skipped because
// the node would come up differently from what the user asked for.
const (
	moduleWriteFiles = "write_files"
	moduleRunCmd     = "runcmd"
)

const cloudConfigHeader = "#cloud-config"

// jinjaHeader is cloud-init's marker for user data to render with Jinja.
var jinjaHeader = regexp.MustCompile(`(?i)^##\s*template:\s*jinja$`)

// maxExpandedSize bounds the file contents and arguments that bootstrap data
// may expand to. It lives in a Secret (at most 1 MiB), but gzip and YAML
// aliases can multiply that a thousandfold, and everything is held in memory
// and streamed through pods/exec.
const maxExpandedSize = 64 << 20

// descriptionMax keeps descriptions short enough for a condition message.
const descriptionMax = 80

const (
	errWriteFile = "cannot convert write_files entry %d"
	errRunCmd    = "cannot convert runcmd entry %d"
)

// Parse turns bootstrap data into the ordered commands that apply it: all
// write_files first, then runcmd, which is the order cloud-init's modules run
// in. An empty format means cloud-config, as in Cluster API's Secret.
func Parse(format Format, data []byte, opts Options) ([]Command, error) {
	if format != "" && format != FormatCloudConfig {
		return nil, errors.Errorf("%w: %q", ErrUnsupportedFormat, format)
	}
	ok, jinja := header(data)
	if !ok {
		return nil, ErrMissingHeader
	}
	if jinja {
		var err error
		if data, err = render(data, opts.MetaData); err != nil {
			return nil, err
		}
	}
	modules, err := parseModules(data)
	if err != nil {
		return nil, err
	}

	var cmds []Command
	budget := maxExpandedSize
	files, err := sequence(modules[moduleWriteFiles], moduleWriteFiles)
	if err != nil {
		return nil, err
	}
	for i, n := range files {
		c, size, err := writeFileCommands(n, budget)
		if err != nil {
			return nil, errors.Wrapf(err, errWriteFile, i)
		}
		budget -= size
		cmds = append(cmds, c...)
	}

	runs, err := sequence(modules[moduleRunCmd], moduleRunCmd)
	if err != nil {
		return nil, err
	}
	for i, n := range runs {
		c, err := runCommand(n, opts)
		if err != nil {
			return nil, errors.Wrapf(err, errRunCmd, i)
		}
		for _, a := range c.Argv {
			budget -= len(a)
		}
		if budget < 0 {
			return nil, errors.Wrapf(ErrTooLarge, errRunCmd, i)
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// header checks that the first non-blank line is #cloud-config, which is how
// cloud-init tells cloud-config from the other user-data types (scripts,
// MIME, ...). Cluster API's kubeadm bootstrap provider always puts cloud-init's
// "## template: jinja" line before it, so that line is accepted too.
func header(data []byte) (ok, jinja bool) {
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, " \t\r")
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			continue
		case !jinja && jinjaHeader.Match(line):
			jinja = true
			continue
		}
		return string(line) == cloudConfigHeader, jinja
	}
	return false, jinja
}

// usesJinja reports whether data has Jinja expressions or statements. Under
// a Jinja header cloud-init would render them from instance metadata (e.g.
// {{ ds.meta_data.local_hostname }}), which a kind node does not have;
// passing them on literally would fail much later, e.g. as an invalid node
// name in kubeadm.
func usesJinja(data []byte) bool {
	return bytes.Contains(data, []byte("{{")) || bytes.Contains(data, []byte("{%"))
}

// metaDataExpr is a Jinja expression that reads one instance metadata key.
var metaDataExpr = regexp.MustCompile(`\{\{\s*ds\.meta_data\.([A-Za-z0-9_]+)\s*\}\}`)

// render substitutes metadata expressions, as cloud-init renders the whole
// user data before it parses it as YAML.
func render(data []byte, md map[string]string) ([]byte, error) {
	var missing string
	out := metaDataExpr.ReplaceAllFunc(data, func(m []byte) []byte {
		key := string(metaDataExpr.FindSubmatch(m)[1])
		v, ok := md[key]
		if !ok && missing == "" {
			missing = key
		}
		return []byte(v)
	})
	if missing != "" {
		return nil, errors.Errorf("%w: no instance metadata %q", ErrUnsupportedTemplate, missing)
	}
	if usesJinja(out) {
		return nil, errors.Errorf("%w: only {{ ds.meta_data.<key> }} expressions are supported", ErrUnsupportedTemplate)
	}
	return out, nil
}

// parseModules returns the top-level cloud-config keys we implement. Keys
// with an empty value are treated as absent, because cloud-init does nothing
// for them either.
func parseModules(data []byte) (map[string]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, errors.Errorf("%w: %w", ErrMalformed, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, errors.Errorf("%w: more than one YAML document", ErrMalformed)
	case !errors.Is(err, io.EOF):
		return nil, errors.Errorf("%w: %w", ErrMalformed, err)
	}

	root := resolve(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = resolve(root.Content[0])
	}
	if isEmpty(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.Errorf("%w: top level is not a mapping", ErrMalformed)
	}

	entries, err := mapping(root, "top-level key")
	if err != nil {
		return nil, err
	}
	modules := map[string]*yaml.Node{}
	for _, e := range entries {
		if isEmpty(e.value) {
			continue
		}
		switch e.key {
		case moduleWriteFiles, moduleRunCmd:
			modules[e.key] = e.value
		default:
			return nil, errors.Errorf("%w: %q", ErrUnsupportedModule, e.key)
		}
	}
	return modules, nil
}

// entry is one key and its value in a YAML mapping.
type entry struct {
	key   string
	value *yaml.Node
}

// mapping returns the entries of a mapping node in order, refusing keys that are not strings and keys that
// appear twice (YAML parsers disagree on which one wins). what names the keys in errors.
func mapping(n *yaml.Node, what string) ([]entry, error) {
	entries := make([]entry, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, errors.Errorf("%w: %s is not a string", ErrMalformed, what)
		}
		if seen[k.Value] {
			return nil, errors.Errorf("%w: duplicate %s %q", ErrMalformed, what, k.Value)
		}
		seen[k.Value] = true
		entries = append(entries, entry{key: k.Value, value: v})
	}
	return entries, nil
}

// runCommand converts one runcmd entry the way cloud-init does: a string is
// a shell script, a list is an argv.
func runCommand(n *yaml.Node, opts Options) (Command, error) {
	var argv []string
	switch n = resolve(n); n.Kind {
	case yaml.ScalarNode:
		if isNull(n) {
			return Command{}, errors.Errorf("%w: runcmd entry is null", ErrMalformed)
		}
		argv = []string{"/bin/sh", "-c", n.Value}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return Command{}, errors.Errorf("%w: runcmd entry is an empty list", ErrMalformed)
		}
		for _, e := range n.Content {
			e = resolve(e)
			if e.Kind != yaml.ScalarNode || isNull(e) {
				return Command{}, errors.Errorf("%w: runcmd list element is not a string", ErrMalformed)
			}
			argv = append(argv, e.Value)
		}
	default:
		return Command{}, errors.Errorf("%w: runcmd entry is neither a string nor a list", ErrMalformed)
	}
	// A NUL byte cannot be passed to execve; fail here instead of on the node.
	for _, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return Command{}, errors.Errorf("%w: runcmd entry contains a NUL byte", ErrMalformed)
		}
	}
	if opts.KubeadmIgnorePreflightErrors {
		argv = ignorePreflightErrors(argv)
	}
	desc := "run " + strings.Join(argv, " ")
	if n.Kind == yaml.ScalarNode {
		desc = "run " + argv[2]
	}
	return Command{Argv: argv, Description: describe(desc)}, nil
}

// sequence returns the entries of a module, which must be a list.
func sequence(n *yaml.Node, module string) ([]*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.Errorf("%w: %s is not a list", ErrMalformed, module)
	}
	return n.Content, nil
}

// resolve follows YAML aliases so that anchors (&a / *a) work like cloud-init.
func resolve(n *yaml.Node) *yaml.Node {
	// The parser rejects alias cycles; the bound is only a backstop.
	for i := 0; i < 100 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isEmpty reports whether a value is null, "", [] or {}.
func isEmpty(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		return isNull(n) || (n.ShortTag() == "!!str" && n.Value == "")
	case yaml.SequenceNode, yaml.MappingNode, yaml.DocumentNode:
		return len(n.Content) == 0
	}
	return n.Kind == 0
}

// describe makes command text fit a one-line condition message, without the secrets it may hold (Redact).
func describe(s string) string {
	s = strings.Join(strings.Fields(Redact(strings.ToValidUTF8(s, "\uFFFD"))), " ")
	if utf8.RuneCountInString(s) <= descriptionMax {
		return s
	}
	r := []rune(s)
	return string(r[:descriptionMax-3]) + "..."
}
