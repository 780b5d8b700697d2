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

package testprovider

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

// RecordedExec is one command a node received.
type RecordedExec struct {
	Argv  []string
	Stdin string
}

// An ExecRecorder stands in for pods/exec into node Pods: no kubelet runs next to a test API server. Every
// command it answers succeeds and is recorded; the bootstrap sentinel exists once the bootstrap touched it.
type ExecRecorder struct {
	// answers reports whether the recorder answers exec into a Pod; the others get a real pods/exec.
	answers func(pod string) bool

	mu   sync.Mutex
	runs map[string][]RecordedExec
}

// NewExecRecorder returns a recorder that answers exec into every node Pod.
func NewExecRecorder() *ExecRecorder {
	return NewExecRecorderFor(func(string) bool { return true })
}

// NewExecRecorderFor returns a recorder that answers exec into the Pods answers accepts and sends exec into
// any other Pod through pods/exec.
func NewExecRecorderFor(answers func(pod string) bool) *ExecRecorder {
	return &ExecRecorder{answers: answers, runs: map[string][]RecordedExec{}}
}

// Executor runs commands in a node Pod: Start's executor.
func (r *ExecRecorder) Executor(cfg *rest.Config, namespace, pod, container string) bootstrap.Executor {
	if !r.answers(pod) {
		return &bootstrap.PodExecutor{Config: cfg, Namespace: namespace, Pod: pod, Container: container}
	}
	return execFunc(func(argv []string, stdin io.Reader) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		key := namespace + "/" + pod
		if slices.Equal(argv, []string{"test", "-e", bootstrap.SentinelPath}) {
			for _, c := range r.runs[key] {
				if slices.Equal(c.Argv, []string{"touch", bootstrap.SentinelPath}) {
					return nil
				}
			}
			return &bootstrap.ExitError{Code: 1}
		}
		in := ""
		if stdin != nil {
			b, _ := io.ReadAll(stdin)
			in = string(b)
		}
		r.runs[key] = append(r.runs[key], RecordedExec{Argv: argv, Stdin: in})
		return nil
	})
}

// Commands are the commands a node received, in order.
func (r *ExecRecorder) Commands(namespace, pod string) []RecordedExec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.runs[namespace+"/"+pod])
}

// Wrote returns what the bootstrap wrote to path in a node, as it went over stdin.
func (r *ExecRecorder) Wrote(namespace, pod, path string) (string, bool) {
	for _, c := range r.Commands(namespace, pod) {
		if len(c.Argv) > 0 && c.Argv[len(c.Argv)-1] == path && strings.Contains(strings.Join(c.Argv, " "), "cat >") {
			return c.Stdin, true
		}
	}
	return "", false
}

type execFunc func(argv []string, stdin io.Reader) error

func (f execFunc) Exec(_ context.Context, argv []string, stdin io.Reader, _, _ io.Writer) error {
	return f(argv, stdin)
}
