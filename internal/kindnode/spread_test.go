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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestSpreadByDefault(t *testing.T) {
	poolAffinity := &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"kind"}}}}},
	}}
	withRegistry := &corev1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
		Weight: 10, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "registry"}}, TopologyKey: "kubernetes.io/hostname"},
	}}}
	ownAntiAffinity := &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}, TopologyKey: "kubernetes.io/hostname",
	}}}
	ownSpread := []corev1.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: innerNodes(RoleWorker),
	}}

	type want struct {
		affinity *corev1.Affinity
		spread   []corev1.TopologySpreadConstraint
	}
	cases := map[string]struct {
		reason string
		params v1alpha1.NodePodParameters
		want   want
	}{
		"Worker": {
			reason: "A worker that asks for no placement should prefer outer nodes without other workers of its cluster, and spread across zones.",
			params: v1alpha1.NodePodParameters{},
			want:   want{affinity: &corev1.Affinity{PodAntiAffinity: hostSpread(RoleWorker)}, spread: zoneSpread(RoleWorker)},
		},
		"ControlPlane": {
			reason: "A control-plane node should keep apart from the other control-plane nodes of its cluster, not from its workers.",
			params: v1alpha1.NodePodParameters{Role: v1alpha1.NodeRoleControlPlane},
			want:   want{affinity: &corev1.Affinity{PodAntiAffinity: hostSpread(RoleControlPlane)}, spread: zoneSpread(RoleControlPlane)},
		},
		"NodeAndPodAffinityKept": {
			reason: "A node affinity (such as a failure domain's) or pod affinity of the user's should be kept, next to the default anti-affinity.",
			params: v1alpha1.NodePodParameters{Affinity: &corev1.Affinity{NodeAffinity: poolAffinity, PodAffinity: withRegistry}},
			want: want{
				affinity: &corev1.Affinity{NodeAffinity: poolAffinity, PodAffinity: withRegistry, PodAntiAffinity: hostSpread(RoleWorker)},
				spread:   zoneSpread(RoleWorker),
			},
		},
		"OwnPodAntiAffinity": {
			reason: "A pod anti-affinity of the user's should replace the default one; the zone spread stays.",
			params: v1alpha1.NodePodParameters{Affinity: &corev1.Affinity{NodeAffinity: poolAffinity, PodAntiAffinity: ownAntiAffinity}},
			want: want{
				affinity: &corev1.Affinity{NodeAffinity: poolAffinity, PodAntiAffinity: ownAntiAffinity},
				spread:   zoneSpread(RoleWorker),
			},
		},
		"EmptyPodAntiAffinity": {
			reason: "An empty pod anti-affinity should turn the default one off.",
			params: v1alpha1.NodePodParameters{Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{}}},
			want:   want{affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{}}, spread: zoneSpread(RoleWorker)},
		},
		"OwnSpread": {
			reason: "Topology spread constraints of the user's should replace the default one; the default anti-affinity stays.",
			params: v1alpha1.NodePodParameters{TopologySpreadConstraints: ownSpread},
			want:   want{affinity: &corev1.Affinity{PodAntiAffinity: hostSpread(RoleWorker)}, spread: ownSpread},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := tc.params
			asked := tc.params.Affinity.DeepCopy()
			p.ClusterName, p.KubernetesVersion = "inner", "v1.37.2"
			pod, err := BuildPod(Node{Name: "n-0", Namespace: "outer", Owner: testOwner, Params: p})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want.affinity, pod.Spec.Affinity); diff != "" {
				t.Errorf("\n%s\nBuildPod(...).Spec.Affinity: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.spread, pod.Spec.TopologySpreadConstraints); diff != "" {
				t.Errorf("\n%s\nBuildPod(...).Spec.TopologySpreadConstraints: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(asked, p.Affinity); diff != "" {
				t.Errorf("\n%s\nBuildPod should leave forProvider's affinity alone: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
