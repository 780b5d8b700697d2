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
	"net/http"
	"net/url"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// stderrTail is how much stderr an ExitError keeps: enough for kubeadm's
// final error lines, small enough for a condition message.
const stderrTail = 2 << 10

const (
	errNoConfig      = "no REST config to reach the node Pod"
	errNewClient     = "cannot create core/v1 client"
	errNewExecutor   = "cannot create pods/exec executor"
	errExecInNodePod = "cannot exec in node Pod"
)

// PodExecutor runs commands in a container of a node Pod through pods/exec.
type PodExecutor struct {
	// Config reaches the API server of the cluster the node Pod runs in.
	Config *rest.Config
	// Namespace of the node Pod.
	Namespace string
	// Pod is the name of the node Pod.
	Pod string
	// Container is the node container, where systemd and kubelet run.
	Container string
}

var _ Executor = &PodExecutor{}

// Exec runs argv in the node container and waits for it to exit.
func (p *PodExecutor) Exec(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if p.Config == nil {
		return errors.New(errNoConfig)
	}
	client, err := corev1client.NewForConfig(p.Config)
	if err != nil {
		return errors.Wrap(err, errNewClient)
	}
	u := client.RESTClient().Post().
		Namespace(p.Namespace).
		Resource("pods").
		Name(p.Pod).
		SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: p.Container,
			Command:   argv,
			// Without a stdin stream the process reads EOF at once instead
			// of waiting on a stream nobody writes to.
			Stdin: stdin != nil,
			// stdout is always attached so that chatty commands never
			// write to a closed pipe.
			Stdout: true,
			Stderr: true,
			TTY:    false,
		}, scheme.ParameterCodec).
		URL()

	exec, err := newExecutor(p.Config, u)
	if err != nil {
		return errors.Wrap(err, errNewExecutor)
	}

	tail := &tailWriter{max: stderrTail}
	var errOut io.Writer = tail
	if stderr != nil {
		errOut = io.MultiWriter(tail, stderr)
	}
	if stdout == nil {
		stdout = io.Discard
	}
	opts := remotecommand.StreamOptions{Stdout: stdout, Stderr: errOut, Tty: false}
	if stdin != nil {
		opts.Stdin = stdin
	}
	return exitError(exec.StreamWithContext(ctx, opts), tail.String())
}

// newExecutor prefers WebSockets and falls back to SPDY like kubectl exec.
// The WebSocket executor speaks only v5 of the streaming protocol, the first
// that can signal end of stdin; older API servers refuse the upgrade and we
// use SPDY, which can too. Without that `cat > file` would never exit.
func newExecutor(cfg *rest.Config, u *url.URL) (remotecommand.Executor, error) {
	spdy, err := remotecommand.NewSPDYExecutor(cfg, http.MethodPost, u)
	if err != nil {
		return nil, err
	}
	ws, err := remotecommand.NewWebSocketExecutor(cfg, http.MethodGet, u.String())
	if err != nil {
		return nil, err
	}
	// client-go reports upgrade failures with k8s.io/streaming's error type,
	// not apimachinery's look-alike, so that is the package to ask.
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// exitError maps a non-zero exit reported by the streaming protocol to an
// *ExitError, so that callers need not know about client-go's error types.
func exitError(err error, stderr string) error {
	if err == nil {
		return nil
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return &ExitError{Code: ee.ExitStatus(), Stderr: stderr}
	}
	return errors.Wrap(err, errExecInNodePod)
}

// tailWriter keeps the last max bytes written to it: the end of stderr is
// where a failing command says why.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) >= w.max {
		w.buf = append(w.buf[:0], p[len(p)-w.max:]...)
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// String returns the tail as valid UTF-8; the cut may split a character.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.ToValidUTF8(string(w.buf), "")
}
