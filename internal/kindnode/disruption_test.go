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

package kindnode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// disruptionBudget is the budget of inner cluster "inner" owned by serviceOwner, next to Service inner-lb.
func disruptionBudget(minAvailable int32) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "inner-lb-control-plane", Namespace: "outer", Labels: serviceLabels()},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable:               ptr.To(intstr.FromInt32(minAvailable)),
			Selector:                   &metav1.LabelSelector{MatchLabels: controlPlaneSelector},
			UnhealthyPodEvictionPolicy: ptr.To(policyv1.AlwaysAllow),
		},
	}
}

func TestBuildDisruptionBudget(t *testing.T) {
	type args struct {
		params v1alpha1.NodeServiceParameters
		nodes  int32
	}
	cases := map[string]struct {
		reason string
		args   args
		want   *policyv1.PodDisruptionBudget
	}{
		"QuorumOfThree": {
			reason: "Without a controlPlaneDisruptionBudget, three control-plane nodes should keep two through eviction.",
			args:   args{params: v1alpha1.NodeServiceParameters{ClusterName: "inner"}, nodes: 3},
			want:   disruptionBudget(2),
		},
		"QuorumOfFive": {
			reason: "Five control-plane nodes should keep three.",
			args:   args{params: v1alpha1.NodeServiceParameters{ClusterName: "inner", ControlPlaneDisruptionBudget: &v1alpha1.ControlPlaneDisruptionBudget{}}, nodes: 5},
			want:   disruptionBudget(3),
		},
		"QuorumOfOne": {
			reason: "A single control-plane node is its own quorum: eviction may not take it.",
			args:   args{params: v1alpha1.NodeServiceParameters{ClusterName: "inner"}, nodes: 1},
			want:   disruptionBudget(1),
		},
		"CustomMinAvailable": {
			reason: "minAvailable should be the budget's, and forProvider labels should stay on the Service only.",
			args: args{params: v1alpha1.NodeServiceParameters{
				ClusterName:                  "inner",
				Labels:                       map[string]string{"team": "a"},
				ControlPlaneDisruptionBudget: &v1alpha1.ControlPlaneDisruptionBudget{Enabled: ptr.To(true), MinAvailable: ptr.To[int32](1)},
			}, nodes: 5},
			want: disruptionBudget(1),
		},
		"ZeroMinAvailable": {
			reason: "minAvailable 0 is a budget that allows every eviction, not an unset value.",
			args: args{params: v1alpha1.NodeServiceParameters{
				ClusterName:                  "inner",
				ControlPlaneDisruptionBudget: &v1alpha1.ControlPlaneDisruptionBudget{MinAvailable: ptr.To[int32](0)},
			}, nodes: 3},
			want: disruptionBudget(0),
		},
		"Disabled": {
			reason: "A disabled budget should not be built, whatever its minAvailable.",
			args: args{params: v1alpha1.NodeServiceParameters{
				ClusterName:                  "inner",
				ControlPlaneDisruptionBudget: &v1alpha1.ControlPlaneDisruptionBudget{Enabled: ptr.To(false), MinAvailable: ptr.To[int32](2)},
			}, nodes: 3},
			want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BuildDisruptionBudget(Endpoint{Name: "inner-lb", Namespace: "outer", Owner: serviceOwner, Params: tc.args.params}, tc.args.nodes)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nBuildDisruptionBudget(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
