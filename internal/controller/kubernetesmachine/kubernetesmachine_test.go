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

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestForProvider(t *testing.T) {
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "inner"}}
	machine := func(controlPlane bool) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m", Labels: map[string]string{}}}
		if controlPlane {
			m.Labels[clusterv1.MachineControlPlaneLabel] = ""
		}
		m.Spec.Version = "v1.37.2"
		m.Spec.Bootstrap.DataSecretName = ptr.To("m-bootstrap")
		return m
	}
	affinity := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{}}
	etcd := &kindnodev1alpha1.Persistence{Etcd: &kindnodev1alpha1.VolumeClaim{}}
	cases := map[string]struct {
		reason       string
		controlPlane bool
		km           infrav1.KubernetesMachineSpec
		have         kindnodev1alpha1.NodePodParameters
		want         kindnodev1alpha1.NodePodParameters
	}{
		"Worker": {
			reason: "A worker Machine asks for a worker node of its cluster and version, from its bootstrap Secret's value, placed by the affinity given; a lost Pod or a changed template is reported, not acted on.",
			km:     infrav1.KubernetesMachineSpec{Image: "img", DisableDefaultCNI: true},
			want: kindnodev1alpha1.NodePodParameters{
				ClusterName: "inner", Role: kindnodev1alpha1.NodeRoleWorker, KubernetesVersion: "v1.37.2", Image: "img",
				Affinity: affinity, DisableDefaultCNI: true,
				BootstrapDataSecretRef: &kindnodev1alpha1.BootstrapDataSecretReference{Name: "m-bootstrap", Key: "value"},
				UpdatePolicy:           kindnodev1alpha1.UpdatePolicyReport, PodLossPolicy: kindnodev1alpha1.PodLossPolicyReport,
			},
		},
		"PersistentControlPlane": {
			reason:       "A control-plane Machine whose etcd persists keeps its identity, so its lost Pod is created again.",
			controlPlane: true,
			km:           infrav1.KubernetesMachineSpec{Persistence: etcd},
			want: kindnodev1alpha1.NodePodParameters{
				ClusterName: "inner", Role: kindnodev1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2",
				Affinity: affinity, Persistence: etcd,
				BootstrapDataSecretRef: &kindnodev1alpha1.BootstrapDataSecretReference{Name: "m-bootstrap", Key: "value"},
				UpdatePolicy:           kindnodev1alpha1.UpdatePolicyReport, PodLossPolicy: kindnodev1alpha1.PodLossPolicyRecreate,
			},
		},
		"KeepsWhatTheNodePodDefaulted": {
			reason: "Fields the Machine does not set keep the NodePod's values, so that applying the same Machine twice changes nothing.",
			have:   kindnodev1alpha1.NodePodParameters{Namespace: "outer", ClusterName: "old"},
			want: kindnodev1alpha1.NodePodParameters{
				Namespace: "outer", ClusterName: "inner", Role: kindnodev1alpha1.NodeRoleWorker, KubernetesVersion: "v1.37.2",
				Affinity:               affinity,
				BootstrapDataSecretRef: &kindnodev1alpha1.BootstrapDataSecretReference{Name: "m-bootstrap", Key: "value"},
				UpdatePolicy:           kindnodev1alpha1.UpdatePolicyReport, PodLossPolicy: kindnodev1alpha1.PodLossPolicyReport,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			km := &infrav1.KubernetesMachine{Spec: tc.km}
			got := forProvider(cluster, machine(tc.controlPlane), km, affinity, tc.have)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nforProvider(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMirror(t *testing.T) {
	np := func(ready, synced, bootstrapped xpv2.Condition) *kindnodev1alpha1.NodePod {
		n := &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Name: "np"}}
		n.Status.SetConditions(ready, synced, bootstrapped)
		return n
	}
	cond := func(t xpv2.ConditionType, s corev1.ConditionStatus, r xpv2.ConditionReason, m string) xpv2.Condition {
		return xpv2.Condition{Type: t, Status: s, Reason: r, Message: m}
	}
	cases := map[string]struct {
		reason string
		np     *kindnodev1alpha1.NodePod
		want   []metav1.Condition
	}{
		"Ready": {
			reason: "A Ready, bootstrapped NodePod makes NodePodReady True and Bootstrapped its own.",
			np: np(cond(xpv2.TypeReady, corev1.ConditionTrue, "Available", ""), cond(xpv2.TypeSynced, corev1.ConditionTrue, "ReconcileSuccess", ""),
				cond(kindnodev1alpha1.TypeBootstrapped, corev1.ConditionTrue, kindnodev1alpha1.ReasonBootstrapSucceeded, "done")),
			want: []metav1.Condition{
				{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionTrue, Reason: infrav1.KubernetesMachineNodePodReadyReason},
				{Type: infrav1.KubernetesMachineBootstrappedCondition, Status: metav1.ConditionTrue, Reason: string(kindnodev1alpha1.ReasonBootstrapSucceeded), Message: "done"},
			},
		},
		"NotReadyWithMessage": {
			reason: "A NodePod that is not Ready passes on why, naming itself; one that has no bootstrap condition yet waits for its Pod.",
			np:     np(cond(xpv2.TypeReady, corev1.ConditionFalse, "PodNotReady", "the API server is not ready"), cond(xpv2.TypeSynced, corev1.ConditionTrue, "ReconcileSuccess", ""), xpv2.Condition{Type: kindnodev1alpha1.TypeBootstrapped}),
			want: []metav1.Condition{
				{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesMachineNodePodNotReadyReason, Message: "NodePod np: PodNotReady: the API server is not ready"},
				{Type: infrav1.KubernetesMachineBootstrappedCondition, Status: metav1.ConditionUnknown, Reason: string(kindnodev1alpha1.ReasonWaitingForPod), Message: "the bootstrap starts once the node container runs"},
			},
		},
		"CannotBeReconciled": {
			reason: "A NodePod its controller cannot reconcile says so before anything else.",
			np: np(cond(xpv2.TypeReady, corev1.ConditionFalse, "Creating", ""), cond(xpv2.TypeSynced, corev1.ConditionFalse, "ReconcileError", "cannot connect"),
				cond(kindnodev1alpha1.TypeBootstrapped, corev1.ConditionFalse, kindnodev1alpha1.ReasonWaitingForPod, "no Pod")),
			want: []metav1.Condition{
				{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesMachineNodePodNotReadyReason, Message: "NodePod np cannot be reconciled: cannot connect"},
				{Type: infrav1.KubernetesMachineBootstrappedCondition, Status: metav1.ConditionFalse, Reason: string(kindnodev1alpha1.ReasonWaitingForPod), Message: "no Pod"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			km := &infrav1.KubernetesMachine{}
			mirror(km, tc.np)
			if diff := cmp.Diff(tc.want, km.Status.Conditions, cmpopts.IgnoreFields(metav1.Condition{}, "LastTransitionTime"),
				cmpopts.SortSlices(func(a, b metav1.Condition) bool { return a.Type < b.Type })); diff != "" {
				t.Errorf("\n%s\nmirror(...): conditions: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	cases := map[string]struct {
		reason string
		obs    kindnodev1alpha1.NodePodObservation
		want   []clusterv1.MachineAddress
	}{
		"Scheduled": {
			reason: "A node Pod with an IP is known by its name and its IP.",
			obs:    kindnodev1alpha1.NodePodObservation{PodName: "n", PodIP: "10.0.0.1"},
			want:   []clusterv1.MachineAddress{{Type: clusterv1.MachineHostName, Address: "n"}, {Type: clusterv1.MachineInternalIP, Address: "10.0.0.1"}},
		},
		"NoIPYet": {
			reason: "A node Pod without an IP yet is known by its name only.",
			obs:    kindnodev1alpha1.NodePodObservation{PodName: "n"},
			want:   []clusterv1.MachineAddress{{Type: clusterv1.MachineHostName, Address: "n"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, addresses(tc.obs)); diff != "" {
				t.Errorf("\n%s\naddresses(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
