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
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// SentinelPath marks a node whose bootstrap commands have all succeeded. It
// is on the node's /var volume so that it survives container restarts, when
// running kubeadm init again would fail on an already initialised node, but
// not Pod recreation, which starts from an empty node that needs bootstrap.
const SentinelPath = "/var/lib/kindnode/bootstrap.complete"

const (
	errCheckSentinel = "cannot check whether the node is bootstrapped"
	errWriteSentinel = "cannot mark the node as bootstrapped"
)

// Executor runs one process in a node and waits for it to exit.
type Executor interface {
	// Exec runs argv without a shell. A nil stdin gives the process no stdin;
	// nil stdout or stderr discards that stream. A non-zero exit is
	// returned as an *ExitError.
	Exec(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// ExitError is returned by an Executor when the process exits non-zero.
type ExitError struct {
	// Code is the exit status of the process.
	Code int
	// Stderr is the tail of what the process wrote to stderr.
	Stderr string
}

// Error includes stderr because it usually says what went wrong.
func (e *ExitError) Error() string {
	if s := strings.TrimSpace(e.Stderr); s != "" {
		return fmt.Sprintf("command exited with code %d: %s", e.Code, s)
	}
	return fmt.Sprintf("command exited with code %d", e.Code)
}

// StepError is returned by Run when a command fails.
type StepError struct {
	// Step is the 1-based index of the failed command.
	Step int
	// Total is the number of commands.
	Total int
	// Command is the failed command.
	Command Command
	// Err is why it failed, often an *ExitError.
	Err error
}

// Error names the step so that a condition message says where bootstrap stopped.
func (e *StepError) Error() string {
	return fmt.Sprintf("bootstrap step %d of %d (%s) failed: %v", e.Step, e.Total, e.Command.Description, e.Err)
}

// Unwrap returns the underlying error.
func (e *StepError) Unwrap() error { return e.Err }

// Done reports whether the node has already been bootstrapped.
func Done(ctx context.Context, e Executor) (bool, error) {
	err := e.Exec(ctx, []string{"test", "-e", SentinelPath}, nil, nil, nil)
	if err == nil {
		return true, nil
	}
	// test exits 1 for "no such file"; anything else, e.g. a failed exec,
	// must not be mistaken for a node that needs bootstrap.
	var ee *ExitError
	if errors.As(err, &ee) && ee.Code == 1 {
		return false, nil
	}
	return false, errors.Wrap(err, errCheckSentinel)
}

// Run runs cmds in order in the node unless it is already bootstrapped, and
// marks it bootstrapped once all have succeeded. It stops at the first
// failure and does not resume: calling it again starts over from the first
// command, because only the complete run is recorded on the node.
// progress, if not nil, is called before each command.
func Run(ctx context.Context, e Executor, cmds []Command, progress func(step, total int, c Command)) error {
	done, err := Done(ctx, e)
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	for i, c := range cmds {
		step := i + 1
		if err := ctx.Err(); err != nil {
			return &StepError{Step: step, Total: len(cmds), Command: c, Err: err}
		}
		if progress != nil {
			progress(step, len(cmds), c)
		}
		var stdin io.Reader
		if c.Stdin != nil {
			stdin = bytes.NewReader(c.Stdin)
		}
		if err := e.Exec(ctx, c.Argv, stdin, nil, nil); err != nil {
			return &StepError{Step: step, Total: len(cmds), Command: c, Err: err}
		}
	}
	for _, argv := range sentinelCommands() {
		if err := e.Exec(ctx, argv, nil, nil, nil); err != nil {
			return errors.Wrap(err, errWriteSentinel)
		}
	}
	return nil
}

func sentinelCommands() [][]string {
	return [][]string{
		{"mkdir", "-p", path.Dir(SentinelPath)},
		{"touch", SentinelPath},
	}
}
