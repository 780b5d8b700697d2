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
			done, err := Node{Exec: e}.Done(context.Background())
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
