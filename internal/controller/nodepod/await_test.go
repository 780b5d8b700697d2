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
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestAwaitEvents(t *testing.T) {
	errBoom := errors.New("boom")
	cases := map[string]struct {
		reason  string
		expect  bool
		result  reconcile.Result
		err     error
		want    reconcile.Result
		wantErr error
	}{
		"CreatedOrDeleted": {
			reason: "A reconcile that created or deleted the Pod waits for the Pod's event instead of polling.",
			expect: true,
			result: reconcile.Result{Requeue: true},
			want:   reconcile.Result{RequeueAfter: eventWait},
		},
		"NothingExpected": {
			reason: "A requeue for any other reason, such as a conflict, stays.",
			result: reconcile.Result{Requeue: true},
			want:   reconcile.Result{Requeue: true},
		},
		"Error": {
			reason:  "An error keeps its backoff.",
			expect:  true,
			result:  reconcile.Result{Requeue: true},
			err:     errBoom,
			want:    reconcile.Result{Requeue: true},
			wantErr: errBoom,
		},
		"NoRequeue": {
			reason: "A result without a requeue stays.",
			expect: true,
			result: reconcile.Result{RequeueAfter: time.Hour},
			want:   reconcile.Result{RequeueAfter: time.Hour},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := reconcile.Request{NamespacedName: owner}
			exp := newExpectations()
			inner := reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
				if tc.expect {
					exp.expect(owner)
				}
				return tc.result, tc.err
			})
			got, err := awaitEvents{inner: inner, expected: exp}.Reconcile(context.Background(), req)
			if diff := cmp.Diff(tc.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("%s\nReconcile(...): error: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nReconcile(...): -want, +got:\n%s", tc.reason, diff)
			}
			if exp.take(owner) {
				t.Errorf("%s\nthe expectation outlived the reconcile", tc.reason)
			}
		})
	}
}
