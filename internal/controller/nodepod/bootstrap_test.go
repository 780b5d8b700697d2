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
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

func TestRunRetryDue(t *testing.T) {
	now := time.Now()
	errBoom := errors.New("boom")
	cases := map[string]struct {
		reason string
		run    run
		want   bool
	}{
		"Running": {
			reason: "A run under way is not retried.",
			run:    run{step: 2},
		},
		"Succeeded": {
			reason: "A run that succeeded is not retried.",
			run:    run{finished: true, finishedAt: now.Add(-time.Hour)},
		},
		"FailedJustNow": {
			reason: "A failure is reported for the retry delay first.",
			run:    run{finished: true, finishedAt: now.Add(-time.Second), err: errBoom},
		},
		"FailedLongAgo": {
			reason: "A failure reported for the retry delay is due for its retry.",
			run:    run{finished: true, finishedAt: now.Add(-time.Minute), err: errBoom},
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.run.retryDue(now, time.Minute)); diff != "" {
				t.Errorf("%s\nretryDue(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestStepError(t *testing.T) {
	cmds := []bootstrap.Command{{Description: "wait for containerd"}, {Description: "run kubeadm join"}}
	cases := map[string]struct {
		reason  string
		failure *bootstrap.Failure
		want    string
	}{
		"Exited": {
			reason:  "The message names the step, its exit status and the end of its output.",
			failure: &bootstrap.Failure{Step: 2, Exit: "1", Output: "couldn't validate the identity of the API Server\n"},
			want:    "bootstrap step 2 of 2 (run kubeadm join) failed: exited with code 1: couldn't validate the identity of the API Server",
		},
		"Interrupted": {
			reason:  "A step cut off says so.",
			failure: &bootstrap.Failure{Step: 1, Exit: "interrupted"},
			want:    "bootstrap step 1 of 2 (wait for containerd) failed: was interrupted (the node container restarted, or the run outlasted its timeout)",
		},
		"UnknownStep": {
			reason:  "A step the commands do not have (a node staged by other data) still gives a message.",
			failure: &bootstrap.Failure{Step: 5, Exit: "2"},
			want:    "bootstrap step 5 of 2 () failed: exited with code 2",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, stepError(tc.failure, cmds).Error()); diff != "" {
				t.Errorf("%s\nstepError(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRetried(t *testing.T) {
	step := stepError(&bootstrap.Failure{Step: 1, Exit: "1"}, nil)
	cases := map[string]struct {
		reason string
		err    error
		policy v1alpha1.BootstrapFailurePolicy
		want   bool
	}{
		"StepUnderRetry": {
			reason: "A failed step is retried under Retry.",
			err:    step,
			policy: v1alpha1.BootstrapFailurePolicyRetry,
			want:   true,
		},
		"StepUnset": {
			reason: "Retry is the policy when none is set.",
			err:    step,
			want:   true,
		},
		"StepUnderFail": {
			reason: "A failed step is not retried under Fail.",
			err:    step,
			policy: v1alpha1.BootstrapFailurePolicyFail,
		},
		"UnreachableUnderFail": {
			reason: "A node the provider could not reach is tried again whatever the policy: no step failed.",
			err:    errors.New("cannot exec in node Pod"),
			policy: v1alpha1.BootstrapFailurePolicyFail,
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, retried(tc.err, tc.policy)); diff != "" {
				t.Errorf("%s\nretried(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestInvalidData(t *testing.T) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "boot"}}
	cases := map[string]struct {
		reason string
		err    error
		want   string
	}{
		"UnsupportedFormat": {
			reason: "Data in a format the node cannot run names the Secret, the format and the one that runs.",
			err:    fmt.Errorf("%w: %q", bootstrap.ErrUnsupportedFormat, "ignition"),
			want: `bootstrap data Secret ns/boot cannot run: unsupported bootstrap data format: "ignition"; ` +
				"a kind node runs cloud-config only: have the bootstrap provider write cloud-config (a KubeadmConfig's spec.format)",
		},
		"Malformed": {
			reason: "Other faults of the data name the Secret and the fault.",
			err:    fmt.Errorf("%w: line 3", bootstrap.ErrMalformed),
			want:   "bootstrap data Secret ns/boot cannot run: malformed cloud-config: line 3",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, invalidData(s, tc.err)); diff != "" {
				t.Errorf("%s\ninvalidData(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
