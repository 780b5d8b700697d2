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
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

// RecordedExec is one command a node ran.
type RecordedExec struct {
	Argv  []string
	Stdin string
}

// An ExecRecorder plays the node side of bootstrap runs (bootstrap.Runner) for node Pods: no kubelet runs
// next to a test API server, so nothing could exec into them. Each node runs the commands staged into it in
// the background, as systemd runs them in a kind node, and records each as it runs it; every command
// succeeds unless a test makes it fail (Fail). The nodes belong to the recorder, not to a provider, so a run
// outlives the provider that started it, as it does in a kind node. The script a real node runs is tested on its own (internal/bootstrap).
type ExecRecorder struct {
	// answers reports whether the recorder plays a Pod's node; the others get a real pods/exec.
	answers func(pod string) bool

	mu    sync.Mutex
	nodes map[string]*fakeNode
}

// NewExecRecorder returns a recorder that plays the node of every node Pod.
func NewExecRecorder() *ExecRecorder {
	return NewExecRecorderFor(func(string) bool { return true })
}

// NewExecRecorderFor returns a recorder that plays the nodes of the Pods answers accepts and reaches any other
// Pod's node through pods/exec.
func NewExecRecorderFor(answers func(pod string) bool) *ExecRecorder {
	return &ExecRecorder{answers: answers, nodes: map[string]*fakeNode{}}
}

// Node reaches a node Pod's bootstrap runs: Start's node.
func (r *ExecRecorder) Node(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner {
	if !r.answers(pod) {
		return bootstrap.Node{Exec: &bootstrap.PodExecutor{Config: cfg, Namespace: namespace, Pod: pod, Container: container}}
	}
	return r.node(namespace, pod)
}

func (r *ExecRecorder) node(namespace, pod string) *fakeNode {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := namespace + "/" + pod
	n, ok := r.nodes[key]
	if !ok {
		n = &fakeNode{exits: map[int]string{}, changed: make(chan struct{})}
		r.nodes[key] = n
	}
	return n
}

// Hold makes the node of a Pod stop in the middle of the first command match accepts, once it started it,
// until the returned function is called.
func (r *ExecRecorder) Hold(namespace, pod string, match func(bootstrap.Command) bool) (release func()) {
	n := r.node(namespace, pod)
	ch := make(chan struct{})
	n.mu.Lock()
	n.holdAt, n.hold = match, ch
	n.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// Fail makes the first command match accepts in the node of a Pod fail once, with exit code 1 and output.
func (r *ExecRecorder) Fail(namespace, pod string, match func(bootstrap.Command) bool, output string) {
	n := r.node(namespace, pod)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failAt, n.failOutput = match, output
}

// Commands are the commands a node ran, in order.
func (r *ExecRecorder) Commands(namespace, pod string) []RecordedExec {
	n := r.node(namespace, pod)
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.ran)
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

// fakeNode is one node's bootstrap state, as a kind node keeps it under /var/lib/kindnode.
type fakeNode struct {
	mu         sync.Mutex
	staged     []bootstrap.Command
	started    int            // the last step started
	exits      map[int]string // the exit status of each step that ended
	output     string         // the output of the step that failed
	active     bool
	complete   bool
	ran        []RecordedExec
	holdAt     func(bootstrap.Command) bool
	hold       chan struct{}
	failAt     func(bootstrap.Command) bool
	failOutput string
	// changed is closed and replaced whenever the state changes.
	changed chan struct{}
}

var _ bootstrap.Runner = &fakeNode{}

// touch tells the Waits that the state changed; the caller holds mu.
func (n *fakeNode) touch() {
	close(n.changed)
	n.changed = make(chan struct{})
}

func (n *fakeNode) Done(context.Context) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.complete, nil
}

func (n *fakeNode) Status(context.Context) (bootstrap.Status, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.status(), nil
}

func (n *fakeNode) status() bootstrap.Status {
	st := bootstrap.Status{Complete: n.complete, Staged: n.staged != nil, Active: n.active, Current: n.started}
	for step, rc := range n.exits {
		if rc == "0" {
			st.Succeeded++
			continue
		}
		st.Failed = &bootstrap.Failure{Step: step, Exit: rc, Output: n.output}
	}
	return st
}

func (n *fakeNode) Wait(ctx context.Context, since bootstrap.Status, limit time.Duration) (bootstrap.Status, error) {
	timeout := time.After(limit)
	for {
		n.mu.Lock()
		st, changed := n.status(), n.changed
		n.mu.Unlock()
		if !equalStatus(st, since) {
			return st, nil
		}
		select {
		case <-changed:
		case <-timeout:
			return st, nil
		case <-ctx.Done():
			return st, ctx.Err()
		}
	}
}

// equalStatus compares two statuses as the node's reports would.
func equalStatus(a, b bootstrap.Status) bool {
	fa, fb := a.Failed, b.Failed
	a.Failed, b.Failed = nil, nil
	return a == b && (fa == nil) == (fb == nil) && (fa == nil || *fa == *fb)
}

func (n *fakeNode) Stage(_ context.Context, cmds []bootstrap.Command) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started > 0 {
		return errors.New("a bootstrap run has started in the node already")
	}
	n.staged = slices.Clone(cmds)
	n.touch()
	return nil
}

func (n *fakeNode) Start(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.active || n.complete {
		return nil
	}
	n.active = true
	n.touch()
	go n.run()
	return nil
}

func (n *fakeNode) Retry(ctx context.Context, step int) error {
	n.mu.Lock()
	if rc, ok := n.exits[step]; ok && rc != "0" {
		delete(n.exits, step)
	}
	n.mu.Unlock()
	return n.Start(ctx)
}

// run runs the staged steps that have not run, as the script of a kind node does.
func (n *fakeNode) run() {
	n.mu.Lock()
	steps := n.staged
	n.mu.Unlock()
	for i, c := range steps {
		step := i + 1
		n.mu.Lock()
		rc, ended := n.exits[step]
		if ended && rc != "0" {
			// A failed step stops the run until it is cleared (Retry).
			n.active = false
			n.touch()
			n.mu.Unlock()
			return
		}
		hold := n.hold
		if n.holdAt == nil || !n.holdAt(c) {
			hold = nil
		} else {
			n.holdAt = nil
		}
		fail := n.failAt != nil && n.failAt(c)
		if !ended {
			n.started = step
			n.ran = append(n.ran, RecordedExec{Argv: c.Argv, Stdin: string(c.Stdin)})
			n.touch()
		}
		n.mu.Unlock()
		if ended {
			continue
		}
		if hold != nil {
			<-hold
		}
		n.mu.Lock()
		if fail {
			n.failAt = nil
			n.exits[step], n.output, n.active = "1", n.failOutput, false
			n.touch()
			n.mu.Unlock()
			return
		}
		n.exits[step] = "0"
		n.touch()
		n.mu.Unlock()
	}
	n.mu.Lock()
	n.active, n.complete = false, true
	n.touch()
	n.mu.Unlock()
}
