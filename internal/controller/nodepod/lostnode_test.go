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
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLostNode(t *testing.T) {
	node := func(ready corev1.ConditionStatus, taints ...string) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}
		for _, k := range taints {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: k, Effect: corev1.TaintEffectNoExecute})
		}
		return n
	}
	cases := map[string]struct {
		reason string
		node   *corev1.Node
		want   string
	}{
		"Gone":         {reason: "A Pod whose Node is gone has no kubelet to finish it.", node: nil, want: "gone"},
		"Ready":        {reason: "The kubelet of a Ready Node finishes its Pods' termination.", node: node(corev1.ConditionTrue), want: ""},
		"NotReady":     {reason: "A kubelet that reports NotReady still runs and stops its Pods.", node: node(corev1.ConditionFalse, corev1.TaintNodeNotReady), want: ""},
		"Unknown":      {reason: "A Node whose kubelet stopped reporting is unreachable.", node: node(corev1.ConditionUnknown), want: "unreachable"},
		"Unreachable":  {reason: "The node lifecycle controller's taint says the same.", node: node(corev1.ConditionTrue, corev1.TaintNodeUnreachable), want: "unreachable"},
		"OutOfService": {reason: "An administrator's out-of-service taint says the node is shut down.", node: node(corev1.ConditionFalse, corev1.TaintNodeOutOfService), want: "out of service"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, lostNode(tc.node)); diff != "" {
				t.Errorf("\n%s\nlostNode(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
