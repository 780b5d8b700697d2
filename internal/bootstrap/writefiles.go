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
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// The write scripts take the path as $1 so that the shell never sees it as
// code; the content arrives on stdin, so neither can be interpolated.
const (
	writeScript  = `cat > "$1"`
	appendScript = `cat >> "$1"`
)

// ownerPattern is user or user:group. A leading '-' is refused because the owner is
// passed to chown as a plain argument and must not be taken for an option.
var ownerPattern = regexp.MustCompile(`^[^-:[:space:][:cntrl:]][^:[:space:][:cntrl:]]*(:[^:[:space:][:cntrl:]]+)?$`)

var octalMode = regexp.MustCompile(`^[0-7]{1,5}$`)

// writeFile is one write_files entry.
type writeFile struct {
	path        string
	content     []byte
	encoding    string
	owner       string
	permissions string
	append      bool
}

// writeFileCommands converts one write_files entry into mkdir, write, and
// optionally chmod and chown commands. The content may be at most limit
// bytes once decoded; its size is returned for the caller's budget.
func writeFileCommands(n *yaml.Node, limit int) ([]Command, int, error) {
	f, err := decodeWriteFile(n)
	if err != nil {
		return nil, 0, err
	}
	if err := validatePath(f.path); err != nil {
		return nil, 0, err
	}
	content, err := decodeContent(f.content, f.encoding, limit)
	if err != nil {
		return nil, 0, err
	}

	dir := path.Dir(f.path)
	script, verb := writeScript, "write "
	if f.append {
		script, verb = appendScript, "append to "
	}
	cmds := []Command{
		{Argv: []string{"mkdir", "-p", dir}, Description: describe("create directory " + dir)},
		// "sh" is $0; the path is $1.
		{Argv: []string{"/bin/sh", "-c", script, "sh", f.path}, Stdin: content, Description: describe(verb + f.path)},
	}
	if f.permissions != "" {
		mode, err := parseMode(f.permissions)
		if err != nil {
			return nil, 0, err
		}
		cmds = append(cmds, Command{Argv: []string{"chmod", mode, f.path}, Description: describe("chmod " + mode + " " + f.path)})
	}
	if f.owner != "" {
		if !ownerPattern.MatchString(f.owner) {
			return nil, 0, errors.Errorf("%w: %q", ErrInvalidOwner, f.owner)
		}
		cmds = append(cmds, Command{Argv: []string{"chown", f.owner, f.path}, Description: describe("chown " + f.owner + " " + f.path)})
	}
	return cmds, len(content), nil
}

// decodeWriteFile reads the fields of a write_files entry. Unknown fields are
// refused (e.g. defer, source): ignoring them would write something other
// than what the user asked for.
func decodeWriteFile(n *yaml.Node) (writeFile, error) {
	f := writeFile{}
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return f, errors.Errorf("%w: write_files entry is not a mapping", ErrMalformed)
	}
	entries, err := mapping(n, "write_files field")
	if err != nil {
		return f, err
	}
	for _, e := range entries {
		k, v := e.key, e.value
		var err error
		switch k {
		case "path":
			f.path, err = scalar(k, v)
		case "content":
			f.content, err = contentBytes(v)
		case "encoding":
			f.encoding, err = scalar(k, v)
		case "owner":
			f.owner, err = scalar(k, v)
		case "permissions":
			// The text of the scalar, not its YAML value: an unquoted 0644
			// is an integer to YAML but plainly meant as octal.
			f.permissions, err = scalar(k, v)
		case "append":
			if !isNull(v) {
				if derr := v.Decode(&f.append); derr != nil {
					err = errors.Errorf("%w: write_files field append is not a boolean", ErrMalformed)
				}
			}
		default:
			err = errors.Errorf("%w: unknown write_files field %q", ErrMalformed, k)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// validatePath accepts absolute paths that name a file.
func validatePath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"),
		strings.HasSuffix(p, "/"),
		strings.IndexByte(p, 0) >= 0, // execve cannot carry it
		path.Base(p) == "." || path.Base(p) == "..":
		return errors.Errorf("%w: %q", ErrInvalidPath, p)
	}
	return nil
}

// decodeContent applies a cloud-init write_files encoding and checks that
// the result is at most limit bytes.
func decodeContent(content []byte, encoding string, limit int) ([]byte, error) {
	var b64, gz bool
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "text/plain":
	case "b64", "base64":
		b64 = true
	case "gz", "gzip":
		gz = true
	case "gz+b64", "gzip+base64", "gz+base64", "gzip+b64":
		b64, gz = true, true
	default:
		return nil, errors.Errorf("%w: %q", ErrUnsupportedEncoding, encoding)
	}

	var err error
	if b64 {
		if content, err = decodeBase64(content); err != nil {
			return nil, errors.Errorf("%w: %w", ErrInvalidContent, err)
		}
	}
	if gz {
		if content, err = gunzip(content, limit); err != nil {
			return nil, err
		}
	}
	if len(content) > limit {
		return nil, ErrTooLarge
	}
	if content == nil {
		// Non-nil stdin marks a write command and gives cat an immediate EOF.
		content = []byte{}
	}
	return content, nil
}

// contentBytes returns a content scalar as bytes. A !!binary scalar is
// decoded here, as cloud-init's YAML loader would, so that gz content can
// be raw gzip.
func contentBytes(n *yaml.Node) ([]byte, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, errors.Errorf("%w: write_files field content is not a string", ErrMalformed)
	}
	switch n.ShortTag() {
	case "!!null":
		return []byte{}, nil
	case "!!binary":
		b, err := decodeBase64([]byte(n.Value))
		if err != nil {
			return nil, errors.Errorf("%w: %w", ErrInvalidContent, err)
		}
		return b, nil
	}
	return []byte(n.Value), nil
}

// decodeBase64 ignores line breaks and other white space, which wrapped
// base64 in YAML block scalars contains.
func decodeBase64(b []byte) ([]byte, error) {
	clean := bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, b)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// gunzip stops reading past limit bytes, so that a small gzip bomb cannot
// exhaust memory before the size check.
func gunzip(b []byte, limit int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, errors.Errorf("%w: %w", ErrInvalidContent, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, errors.Errorf("%w: %w", ErrInvalidContent, err)
	}
	if len(out) > limit {
		return nil, ErrTooLarge
	}
	return out, nil
}

// parseMode normalises an octal mode such as 644, 0644 or 0o644 to 0644.
func parseMode(s string) (string, error) {
	digits := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0o"), "0O")
	if !octalMode.MatchString(digits) {
		return "", errors.Errorf("%w: %q", ErrInvalidPermissions, s)
	}
	m, err := strconv.ParseUint(digits, 8, 32)
	if err != nil || m > 0o7777 {
		return "", errors.Errorf("%w: %q", ErrInvalidPermissions, s)
	}
	return fmt.Sprintf("%04o", m), nil
}

// scalar returns a field's string value; null reads as "".
func scalar(field string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.Errorf("%w: write_files field %s is not a string", ErrMalformed, field)
	}
	if isNull(n) {
		return "", nil
	}
	return n.Value, nil
}
