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
	"io"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

// call is one Exec the fake executor saw.
type call struct {
	Argv  []string
	Stdin *string // nil when the process got no stdin
}

// fakeExecutor records calls and answers them with result. It stands in for
// a node because no kubelet runs in unit tests.
type fakeExecutor struct {
	calls  []call
	result func(argv []string) error
}

func (f *fakeExecutor) Exec(_ context.Context, argv []string, stdin io.Reader, _, _ io.Writer) error {
	c := call{Argv: argv}
	if stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		s := string(b)
		c.Stdin = &s
	}
	f.calls = append(f.calls, c)
	if f.result == nil {
		return nil
	}
	return f.result(argv)
}

// progressCall is one call of Run's progress callback.
type progressCall struct {
	Step, Total int
	Description string
}

func ptr(s string) *string { return &s }

func TestRun(t *testing.T) {
	errBoom := errors.New("boom")
	notDone := &ExitError{Code: 1}
	isSentinelCheck := func(argv []string) bool { return cmp.Equal(argv, []string{"test", "-e", SentinelPath}) }

	cmds := []Command{
		{Argv: []string{"mkdir", "-p", "/etc"}, Description: "create directory /etc"},
		{Argv: []string{"/bin/sh", "-c", `cat > "$1"`, "sh", "/etc/x"}, Stdin: []byte("x\n"), Description: "write /etc/x"},
		{Argv: []string{"/bin/sh", "-c", "kubeadm init"}, Description: "run kubeadm init"},
	}
	check := call{Argv: []string{"test", "-e", SentinelPath}}
	ran := []call{
		{Argv: cmds[0].Argv},
		{Argv: cmds[1].Argv, Stdin: ptr("x\n")},
		{Argv: cmds[2].Argv},
	}
	sentinel := []call{
		{Argv: []string{"mkdir", "-p", "/var/lib/kindnode"}},
		{Argv: []string{"touch", "/var/lib/kindnode/bootstrap.complete"}},
	}

	type args struct {
		result func(argv []string) error
		cmds   []Command
	}
	type want struct {
		err      error
		calls    []call
		progress []progressCall
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"AlreadyBootstrapped": {
			reason: "When the sentinel exists nothing should run, so a re-run is a no-op.",
			args:   args{cmds: cmds},
			want:   want{calls: []call{check}},
		},
		"Success": {
			reason: "All commands should run in order, with stdin only for writes, and the sentinel be written last.",
			args: args{
				cmds: cmds,
				result: func(argv []string) error {
					if isSentinelCheck(argv) {
						return notDone
					}
					return nil
				},
			},
			want: want{
				calls:    append(append([]call{check}, ran...), sentinel...),
				progress: []progressCall{{1, 3, "create directory /etc"}, {2, 3, "write /etc/x"}, {3, 3, "run kubeadm init"}},
			},
		},
		"NoCommands": {
			reason: "Empty bootstrap data still marks the node bootstrapped.",
			args: args{result: func(argv []string) error {
				if isSentinelCheck(argv) {
					return notDone
				}
				return nil
			}},
			want: want{calls: append([]call{check}, sentinel...)},
		},
		"FailureStops": {
			reason: "A failing command should stop the run, name its step and leave no sentinel.",
			args: args{
				cmds: cmds,
				result: func(argv []string) error {
					switch {
					case isSentinelCheck(argv):
						return notDone
					case argv[0] == "/bin/sh" && argv[2] == `cat > "$1"`:
						return &ExitError{Code: 2, Stderr: "cat: /etc/x: Read-only file system\n"}
					}
					return nil
				},
			},
			want: want{
				err:      &StepError{Step: 2, Total: 3, Command: cmds[1], Err: &ExitError{Code: 2, Stderr: "cat: /etc/x: Read-only file system\n"}},
				calls:    []call{check, ran[0], ran[1]},
				progress: []progressCall{{1, 3, "create directory /etc"}, {2, 3, "write /etc/x"}},
			},
		},
		"SentinelCheckFails": {
			reason: "If we cannot tell whether the node is bootstrapped, nothing should run.",
			args:   args{cmds: cmds, result: func([]string) error { return errBoom }},
			want: want{
				err:   errors.Wrap(errBoom, errCheckSentinel),
				calls: []call{check},
			},
		},
		"SentinelCheckOtherExitCode": {
			reason: "test exits 1 when the file is missing; other codes mean the check itself failed.",
			args:   args{cmds: cmds, result: func([]string) error { return &ExitError{Code: 126} }},
			want: want{
				err:   errors.Wrap(&ExitError{Code: 126}, errCheckSentinel),
				calls: []call{check},
			},
		},
		"SentinelWriteFails": {
			reason: "A node whose sentinel cannot be written is not reported bootstrapped.",
			args: args{
				cmds: cmds,
				result: func(argv []string) error {
					switch argv[0] {
					case "test":
						return notDone
					case "touch":
						return errBoom
					}
					return nil
				},
			},
			want: want{
				err:      errors.Wrap(errBoom, errWriteSentinel),
				calls:    append(append([]call{check}, ran...), sentinel...),
				progress: []progressCall{{1, 3, "create directory /etc"}, {2, 3, "write /etc/x"}, {3, 3, "run kubeadm init"}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &fakeExecutor{result: tc.args.result}
			var progress []progressCall
			err := Run(context.Background(), e, tc.args.cmds, func(step, total int, c Command) {
				progress = append(progress, progressCall{step, total, c.Description})
			})
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nRun(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.calls, e.calls); diff != "" {
				t.Errorf("\n%s\nRun(...): -want calls, +got calls:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.progress, progress); diff != "" {
				t.Errorf("\n%s\nRun(...): -want progress, +got progress:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRunNilProgress(t *testing.T) {
	e := &fakeExecutor{result: func(argv []string) error {
		if argv[0] == "test" {
			return &ExitError{Code: 1}
		}
		return nil
	}}
	if err := Run(context.Background(), e, []Command{{Argv: []string{"true"}}}, nil); err != nil {
		t.Errorf("Run(...) with nil progress: %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	e := &fakeExecutor{result: func(argv []string) error {
		if argv[0] == "test" {
			return &ExitError{Code: 1}
		}
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, e, []Command{{Argv: []string{"true"}, Description: "run true"}}, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("Run(...) with a cancelled context: want a StepError at step 1 wrapping context.Canceled, got %v", err)
	}
	if len(e.calls) != 1 {
		t.Errorf("Run(...) with a cancelled context: want only the sentinel check, got %v", e.calls)
	}
}

func TestStepErrorMessage(t *testing.T) {
	cases := map[string]struct {
		reason string
		err    error
		want   string
	}{
		"ExitError": {
			reason: "The message should name the step and say how the command failed.",
			err: &StepError{Step: 4, Total: 9, Command: Command{Description: "run kubeadm init ..."},
				Err: &ExitError{Code: 1, Stderr: "[preflight] Some fatal errors occurred:\n\t[ERROR Swap]: running with swap on\n"}},
			want: "bootstrap step 4 of 9 (run kubeadm init ...) failed: command exited with code 1: " +
				"[preflight] Some fatal errors occurred:\n\t[ERROR Swap]: running with swap on",
		},
		"ExitErrorWithoutStderr": {
			reason: "Without stderr the exit code is all there is to say.",
			err:    &StepError{Step: 1, Total: 1, Command: Command{Description: "run false"}, Err: &ExitError{Code: 3}},
			want:   "bootstrap step 1 of 1 (run false) failed: command exited with code 3",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
				t.Errorf("\n%s\nError(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDone(t *testing.T) {
	errBoom := errors.New("boom")
	type want struct {
		done bool
		err  error
	}
	cases := map[string]struct {
		reason string
		result error
		want   want
	}{
		"Present": {
			reason: "test -e succeeding means the node is bootstrapped.",
			want:   want{done: true},
		},
		"Absent": {
			reason: "test -e exiting 1 means the node is not bootstrapped.",
			result: &ExitError{Code: 1},
			want:   want{done: false},
		},
		"ExecFailed": {
			reason: "An exec that did not run test at all is an error, not a missing sentinel.",
			result: errBoom,
			want:   want{err: errors.Wrap(errBoom, errCheckSentinel)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &fakeExecutor{result: func([]string) error { return tc.result }}
			done, err := Done(context.Background(), e)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nDone(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.done, done); diff != "" {
				t.Errorf("\n%s\nDone(...): -want, +got:\n%s", tc.reason, diff)
			}
			if want := []call{{Argv: []string{"test", "-e", SentinelPath}}}; !cmp.Equal(want, e.calls) {
				t.Errorf("\n%s\nDone(...): want only %v, got %v", tc.reason, want, e.calls)
			}
		})
	}
}
