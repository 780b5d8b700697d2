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

package kubernetesmachine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/event"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

func TestFailureDomainAffinity(t *testing.T) {
	// declared has two failure domains of its own: rack a by label, rack b by expression.
	declared := &infrav1.KubernetesCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "kc"},
		Spec: infrav1.KubernetesClusterSpec{FailureDomains: []infrav1.FailureDomainSpec{
			{Name: "rack-a", NodeSelector: infrav1.NodeLabelSelector{MatchLabels: map[string]infrav1.LabelValue{"rack": "a", "example.com/pool": "kind"}}},
			{Name: "rack-b", NodeSelector: infrav1.NodeLabelSelector{MatchExpressions: []infrav1.NodeLabelSelectorRequirement{
				{Key: "rack", Operator: metav1.LabelSelectorOpIn, Values: []infrav1.LabelValue{"b", "b2"}},
				{Key: "example.com/spare", Operator: metav1.LabelSelectorOpDoesNotExist},
			}}},
		}},
		// What the controller published from spec; a stale zone there must not count.
		Status: infrav1.KubernetesClusterStatus{FailureDomains: []clusterv1.FailureDomain{{Name: "rack-a"}, {Name: "rack-b"}, {Name: "zone-1"}}},
	}
	discovered := &infrav1.KubernetesCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "kc"},
		Status:     infrav1.KubernetesClusterStatus{FailureDomains: []clusterv1.FailureDomain{{Name: "zone-1", ControlPlane: ptr.To(true)}, {Name: "zone-2", ControlPlane: ptr.To(true)}}},
	}
	rackA := []corev1.NodeSelectorRequirement{
		{Key: "example.com/pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"kind"}},
		{Key: "rack", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}},
	}
	rackB := []corev1.NodeSelectorRequirement{
		{Key: "rack", Operator: corev1.NodeSelectorOpIn, Values: []string{"b", "b2"}},
		{Key: "example.com/spare", Operator: corev1.NodeSelectorOpDoesNotExist},
	}
	zone2 := corev1.NodeSelectorRequirement{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"zone-2"}}
	ssd := corev1.NodeSelectorRequirement{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}
	nvme := corev1.NodeSelectorRequirement{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"nvme"}}
	apart := &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
		Weight: 5, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, TopologyKey: "kubernetes.io/hostname"},
	}}}
	required := func(terms ...corev1.NodeSelectorTerm) *corev1.NodeAffinity {
		return &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}
	}
	term := func(reqs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: reqs}
	}

	type want struct {
		affinity *corev1.Affinity
		known    bool
	}
	cases := map[string]struct {
		reason   string
		kc       *infrav1.KubernetesCluster
		domain   string
		affinity *corev1.Affinity
		want     want
	}{
		"NoFailureDomain": {
			reason:   "A Machine in no failure domain should keep the KubernetesMachine's affinity as it is.",
			kc:       declared,
			affinity: &corev1.Affinity{PodAntiAffinity: apart},
			want:     want{affinity: &corev1.Affinity{PodAntiAffinity: apart}, known: true},
		},
		"DeclaredByLabels": {
			reason: "A declared failure domain's matchLabels should become required In requirements, in the order of their keys.",
			kc:     declared,
			domain: "rack-a",
			want:   want{affinity: &corev1.Affinity{NodeAffinity: required(term(rackA...))}, known: true},
		},
		"DeclaredByExpressions": {
			reason: "A declared failure domain's matchExpressions should become required node requirements with the same operators.",
			kc:     declared,
			domain: "rack-b",
			want:   want{affinity: &corev1.Affinity{NodeAffinity: required(term(rackB...))}, known: true},
		},
		"Discovered": {
			reason: "A discovered failure domain should require the outer Node's zone label to be its name.",
			kc:     discovered,
			domain: "zone-2",
			want:   want{affinity: &corev1.Affinity{NodeAffinity: required(term(zone2))}, known: true},
		},
		"MergedWithTheMachinesOwn": {
			reason: "The failure domain should join every required term of the KubernetesMachine's own, and leave the rest of its affinity alone.",
			kc:     discovered,
			domain: "zone-2",
			affinity: &corev1.Affinity{
				NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term(ssd), term(nvme)}},
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: term(ssd)}},
				},
				PodAntiAffinity: apart,
			},
			want: want{affinity: &corev1.Affinity{
				NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term(ssd, zone2), term(nvme, zone2)}},
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: term(ssd)}},
				},
				PodAntiAffinity: apart,
			}, known: true},
		},
		"UnknownDeclared": {
			reason: "A name the declared failure domains lack is unknown, even when an old status still lists it.",
			kc:     declared,
			domain: "zone-1",
			want:   want{known: false},
		},
		"UnknownDiscovered": {
			reason: "A zone the outer cluster's Nodes do not have is unknown.",
			kc:     discovered,
			domain: "zone-9",
			want:   want{known: false},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			own := tc.affinity.DeepCopy()
			nodes, known := failureDomainNodes(tc.kc, tc.domain)
			if diff := cmp.Diff(tc.want.known, known); diff != "" {
				t.Errorf("\n%s\nfailureDomainNodes(...): known: -want, +got:\n%s", tc.reason, diff)
			}
			if !known {
				return
			}
			if diff := cmp.Diff(tc.want.affinity, withRequiredNodes(tc.affinity, nodes)); diff != "" {
				t.Errorf("\n%s\nwithRequiredNodes(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(own, tc.affinity); diff != "" {
				t.Errorf("\n%s\nwithRequiredNodes(...) changed the KubernetesMachine's affinity: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUnknownFailureDomainMessage(t *testing.T) {
	cases := map[string]struct {
		reason string
		kc     *infrav1.KubernetesCluster
		want   string
	}{
		"Declared": {
			reason: "The message should name the failure domains the cluster has, and how to get the missing one.",
			kc:     &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Name: "kc"}, Spec: infrav1.KubernetesClusterSpec{FailureDomains: []infrav1.FailureDomainSpec{{Name: "rack-a"}, {Name: "rack-b"}}}},
			want: `Machine m-0 asks for failure domain "zone-9", which KubernetesCluster kc does not have (it has rack-a, rack-b); ` +
				`no node Pod is made until it does: declare it in spec.failureDomains or label outer Nodes with topology.kubernetes.io/zone=zone-9`,
		},
		"None": {
			reason: "A cluster without failure domains should say so.",
			kc:     &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Name: "kc"}},
			want: `Machine m-0 asks for failure domain "zone-9", which KubernetesCluster kc does not have (it has none); ` +
				`no node Pod is made until it does: declare it in spec.failureDomains or label outer Nodes with topology.kubernetes.io/zone=zone-9`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, unknownFailureDomain(tc.kc, "m-0", "zone-9")); diff != "" {
				t.Errorf("\n%s\nunknownFailureDomain(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFailureDomainsChanged(t *testing.T) {
	base := func() *infrav1.KubernetesCluster {
		return &infrav1.KubernetesCluster{
			ObjectMeta: metav1.ObjectMeta{Name: "kc", ResourceVersion: "1"},
			Status:     infrav1.KubernetesClusterStatus{FailureDomains: []clusterv1.FailureDomain{{Name: "zone-1", ControlPlane: ptr.To(true)}}},
		}
	}
	cases := map[string]struct {
		reason string
		change func(*infrav1.KubernetesCluster)
		want   bool
	}{
		"Unrelated": {
			reason: "A KubernetesCluster written for anything but its failure domains concerns no Machine's placement.",
			change: func(kc *infrav1.KubernetesCluster) {
				kc.ResourceVersion = "2"
				kc.Spec.ControlPlaneEndpoint = infrav1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
			want: false,
		},
		"Discovered": {
			reason: "A zone found in the outer cluster may be the one a Machine waits for.",
			change: func(kc *infrav1.KubernetesCluster) {
				kc.Status.FailureDomains = append(kc.Status.FailureDomains, clusterv1.FailureDomain{Name: "zone-2", ControlPlane: ptr.To(true)})
			},
			want: true,
		},
		"Declared": {
			reason: "A declared failure domain's selector decides where its Machines' node Pods go.",
			change: func(kc *infrav1.KubernetesCluster) {
				kc.Spec.FailureDomains = []infrav1.FailureDomainSpec{{Name: "rack-a", NodeSelector: infrav1.NodeLabelSelector{MatchLabels: map[string]infrav1.LabelValue{"rack": "a"}}}}
			},
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := base()
			tc.change(n)
			got := failureDomainsChanged{}.Update(event.UpdateEvent{ObjectOld: base(), ObjectNew: n})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nfailureDomainsChanged.Update(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
