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

package nodepod

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

func TestParseNetwork(t *testing.T) {
	cases := map[string]struct {
		reason  string
		body    string
		err     error
		want    nodenet.Status
		wantErr string
	}{
		"Answered": {
			reason: "the node's JSON is its status",
			body:   `{"networkUnavailable":true,"reason":"PeersUnreachable","message":"cannot reach b"}`,
			want:   nodenet.Status{NetworkUnavailable: true, Reason: nodenet.ReasonPeersUnreachable, Message: "cannot reach b"},
		},
		"NotProbedYet": {
			reason:  "503 is a node that has not finished its first round",
			err:     kerrors.NewGenericServerResponse(503, "get", schema.GroupResource{Resource: "pods"}, "node", "not yet", 0, true),
			wantErr: "the node has not probed its peers yet",
		},
		"Unreachable": {
			reason:  "any other failure says where the status was read",
			err:     errors.New("dial tcp 10.1.2.3:10266: i/o timeout"),
			wantErr: "cannot read the node's network status on port 10266 through pods/proxy: dial tcp 10.1.2.3:10266: i/o timeout",
		},
		"NotJSON": {
			reason:  "something else answering on the port is no status",
			body:    "<html>",
			wantErr: "cannot decode the node's network status: invalid character '<' looking for beginning of value",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseNetwork([]byte(tc.body), tc.err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nparseNetwork(...): -want, +got:\n%s", tc.reason, diff)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("%s\nparseNetwork(...): error %q, want %q", tc.reason, gotErr, tc.wantErr)
			}
		})
	}
}

func TestNetworkReportAfter(t *testing.T) {
	fine := nodenet.Status{Reason: nodenet.ReasonPeersReachable, Message: "reaches all 1 peers"}
	broken := nodenet.Status{NetworkUnavailable: true, Reason: nodenet.ReasonPeersUnreachable, Message: "cannot reach b"}
	refused := errors.New("connection refused")
	cases := map[string]struct {
		reason      string
		before      networkReport
		body        string
		err         error
		want        networkReport
		wantChanged bool
	}{
		"SilentBeforeAnswering": {
			reason: "a node that never answered stays unreported, and nothing is told",
			err:    refused,
		},
		"FirstAnswer": {
			reason:      "the first answer is news",
			body:        `{"reason":"PeersReachable","message":"reaches all 1 peers"}`,
			want:        networkReport{answered: true, status: fine},
			wantChanged: true,
		},
		"SameAnswer": {
			reason: "the same answer again is not",
			before: networkReport{answered: true, status: fine},
			body:   `{"reason":"PeersReachable","message":"reaches all 1 peers"}`,
			want:   networkReport{answered: true, status: fine},
		},
		"Broken": {
			reason:      "a broken network is",
			before:      networkReport{answered: true, status: fine},
			body:        `{"networkUnavailable":true,"reason":"PeersUnreachable","message":"cannot reach b"}`,
			want:        networkReport{answered: true, status: broken},
			wantChanged: true,
		},
		"SilentAfterAnswering": {
			reason:      "a node that answered and stops keeps its last status, with why it is not read",
			before:      networkReport{answered: true, status: broken},
			err:         refused,
			want:        networkReport{answered: true, status: broken, err: errors.New("cannot read the node's network status on port 10266 through pods/proxy: connection refused")},
			wantChanged: true,
		},
		"StillSilent": {
			reason: "failing again, otherwise, is no news",
			before: networkReport{answered: true, status: broken, err: errors.New("timeout")},
			err:    refused,
			want:   networkReport{answered: true, status: broken, err: errors.New("cannot read the node's network status on port 10266 through pods/proxy: connection refused")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.before.after([]byte(tc.body), tc.err)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(networkReport{}), cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) })); diff != "" {
				t.Errorf("%s\nafter(...): -want, +got:\n%s", tc.reason, diff)
			}
			if changed := got.changed(tc.before); changed != tc.wantChanged {
				t.Errorf("%s\nchanged = %t, want %t", tc.reason, changed, tc.wantChanged)
			}
		})
	}
}

// TestNetworkWatcher checks that a watcher reads a node until told to forget it, and starts afresh for a new
// Pod.
func TestNetworkWatcher(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nn := types.NamespacedName{Namespace: "ns", Name: "node"}
	notified := make(chan types.NamespacedName, 16)
	w := newNetworkWatcher(func(n types.NamespacedName) { notified <- n }, 10*time.Millisecond)
	go func() { _ = w.Start(ctx) }()

	fine := func(context.Context) ([]byte, error) { return []byte(`{"reason":"PeersReachable"}`), nil }
	if got := w.watch(nn, "uid-1", fine); got.answered {
		t.Fatalf("a new watch reports %+v", got)
	}
	select {
	case got := <-notified:
		if got != nn {
			t.Fatalf("asked to reconcile %v, want %v", got, nn)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconcile asked for the first answer")
	}
	if got := w.watch(nn, "uid-1", fine); !got.answered {
		t.Errorf("after the answer, the watch reports %+v", got)
	}
	if got := w.watch(nn, "uid-2", fine); got.answered {
		t.Errorf("a new Pod reports what the old one said: %+v", got)
	}
	w.forget(nn)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.reads) != 0 {
		t.Errorf("forget left %d reads", len(w.reads))
	}
}
