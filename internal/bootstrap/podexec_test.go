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
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	utilexec "k8s.io/client-go/util/exec"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

func TestExitError(t *testing.T) {
	errBoom := errors.New("boom")
	exited := utilexec.CodeExitError{Err: errors.New("command terminated with non-zero exit code: error executing command [false], exit code 2"), Code: 2}

	type args struct {
		err    error
		stderr string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   error
	}{
		"Success": {
			reason: "No error means the command exited 0.",
			args:   args{stderr: "warning"},
			want:   nil,
		},
		"NonZeroExit": {
			reason: "client-go's exit error should become ours, with the stderr tail.",
			args:   args{err: exited, stderr: "cat: /x: Permission denied\n"},
			want:   &ExitError{Code: 2, Stderr: "cat: /x: Permission denied\n"},
		},
		"WrappedNonZeroExit": {
			reason: "The exit error should be found even when wrapped.",
			args:   args{err: fmt.Errorf("stream: %w", exited)},
			want:   &ExitError{Code: 2},
		},
		"ExecFailed": {
			reason: "Any other error means the command may not have run at all.",
			args:   args{err: errBoom, stderr: "ignored"},
			want:   errors.Wrap(errBoom, errExecInNodePod),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := exitError(tc.args.err, tc.args.stderr)
			if diff := cmp.Diff(tc.want, got, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nexitError(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTailWriter(t *testing.T) {
	cases := map[string]struct {
		reason string
		writes []string
		want   string
	}{
		"Short": {
			reason: "Output shorter than the limit is kept whole.",
			writes: []string{"a", "bc"},
			want:   "abc",
		},
		"ManyWrites": {
			reason: "Only the last bytes are kept across writes.",
			writes: []string{"abc", "def", "gh"},
			want:   "defgh",
		},
		"OneLongWrite": {
			reason: "A single write longer than the limit keeps its end.",
			writes: []string{"0123456789"},
			want:   "56789",
		},
		"SplitCharacter": {
			reason: "A character cut in half at the start is dropped, not garbled.",
			writes: []string{"é1234"},
			want:   "1234",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := &tailWriter{max: 5}
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("\n%s\nWrite(%q): got %d, %v", tc.reason, s, n, err)
				}
			}
			if diff := cmp.Diff(tc.want, w.String()); diff != "" {
				t.Errorf("\n%s\nString(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPodExecutorAPIServer sends real pods/exec requests to a real
// kube-apiserver. No kubelet runs, so no command can start, but the answers
// show that the request names the right Pod and container and that the
// WebSocket attempt falls back to SPDY instead of failing.
func TestPodExecutorAPIServer(t *testing.T) {
	assets, err := testenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("cannot start kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "node", Namespace: metav1.NamespaceDefault},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "node", Image: "kindest/node:v1.36.0"}}},
	}
	// The default namespace appears shortly after the API server starts.
	for {
		if _, err = core.Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("cannot create Pod: %v", err)
	}

	cases := map[string]struct {
		reason string
		e      *PodExecutor
		want   string
	}{
		"NoSuchPod": {
			reason: "The request should name the Pod.",
			e:      &PodExecutor{Config: cfg, Namespace: "default", Pod: "missing", Container: "node"},
			want:   `pods "missing" not found`,
		},
		"NoSuchContainer": {
			reason: "The request should name the container.",
			e:      &PodExecutor{Config: cfg, Namespace: "default", Pod: "node", Container: "other"},
			want:   "container other is not valid for pod node",
		},
		"NotScheduled": {
			reason: "A well-formed request gets as far as looking for the Pod's node.",
			e:      &PodExecutor{Config: cfg, Namespace: "default", Pod: "node", Container: "node"},
			want:   "pod node does not have a host assigned",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.e.Exec(ctx, []string{"/bin/sh", "-c", `cat > "$1"`, "sh", "/x"}, strings.NewReader("x"), nil, nil)
			t.Logf("Exec(...): %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("\n%s\nExec(...): want an error containing %q, got %v", tc.reason, tc.want, err)
			}
			// SPDY's words: the WebSocket attempt was refused and fell back.
			if err != nil && !strings.Contains(err.Error(), "unable to upgrade connection") {
				t.Errorf("\n%s\nExec(...): want the error of the SPDY fallback, got %v", tc.reason, err)
			}
			var ee *ExitError
			if errors.As(err, &ee) {
				t.Errorf("\n%s\nExec(...): a command that never ran must not look like an exit: %v", tc.reason, err)
			}
		})
	}
}
