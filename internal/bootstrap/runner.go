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
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// SentinelPath marks a node whose bootstrap commands have all succeeded. It
// is on the node's /var volume so that it survives container restarts, when
// running kubeadm init again would fail on an already initialised node, but
// not Pod recreation, which starts from an empty node that needs bootstrap.
// The run's script writes it last.
const SentinelPath = "/var/lib/kindnode/bootstrap.complete"

const errCheckSentinel = "cannot check whether the node is bootstrapped"

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
	if s := strings.TrimSpace(Redact(e.Stderr)); s != "" {
		return fmt.Sprintf("command exited with code %d: %s", e.Code, s)
	}
	return fmt.Sprintf("command exited with code %d", e.Code)
}

// StepError is a bootstrap command that failed.
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

// Runner is a node's side of bootstrap runs, as the provider sees it: a Node reached through pods/exec, or
// what a test plays instead.
type Runner interface {
	// Done reports whether the node has been bootstrapped.
	Done(ctx context.Context) (bool, error)
	// Status reads the node's run.
	Status(ctx context.Context) (Status, error)
	// Wait reads the node's run once it differs from since, or after at most limit.
	Wait(ctx context.Context, since Status, limit time.Duration) (Status, error)
	// Stage writes the run of cmds into the node.
	Stage(ctx context.Context, cmds []Command) error
	// Start starts the staged run, unless it runs.
	Start(ctx context.Context) error
	// Retry clears the record of a failed step and starts the run again from it.
	Retry(ctx context.Context, step int) error
}

var _ Runner = Node{}

// Done reports whether the node has already been bootstrapped. It costs one exec of test(1), which is all a
// bootstrapped node is asked.
func (n Node) Done(ctx context.Context) (bool, error) {
	err := n.Exec.Exec(ctx, []string{"test", "-e", n.sentinel()}, nil, nil, nil)
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
