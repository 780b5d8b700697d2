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

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// newOuterNode creates a Ready Node of the outer cluster in zone ("" for none), and deletes it when the test
// ends. The test API server is the outer cluster; its Nodes are objects only, with no kubelet behind them, so
// the test reports their Ready condition as a kubelet would.
func newOuterNode(t *testing.T, name, zone string) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	if zone != "" {
		n.Labels[corev1.LabelTopologyZone] = zone
	}
	if err := kube.Create(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	setNodeReady(t, name, corev1.ConditionTrue)
	t.Cleanup(func() {
		if err := kube.Delete(context.Background(), n); client.IgnoreNotFound(err) != nil {
			t.Error(err)
		}
	})
}

// setZone sets the zone label of an outer Node ("" removes it).
func setZone(t *testing.T, name, zone string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, corev1.LabelTopologyZone, zone)
	if zone == "" {
		patch = fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, corev1.LabelTopologyZone)
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := kube.Patch(context.Background(), n, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// setNodeReady sets the Ready condition of an outer Node, as its kubelet (True, False) or the node lifecycle
// controller (Unknown, once the kubelet stopped reporting) would, and the taint that goes with it, as the node
// lifecycle controller would: the test API server runs neither, and its admission taints every new Node
// not-ready.
func setNodeReady(t *testing.T, name string, status corev1.ConditionStatus) {
	t.Helper()
	now := time.Now().UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"status":{"conditions":[{"type":"Ready","status":%q,"reason":"Test","lastHeartbeatTime":%q,"lastTransitionTime":%q}]}}`, status, now, now)
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := kube.Status().Patch(context.Background(), n, client.RawPatch(types.StrategicMergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	taints := map[corev1.ConditionStatus]string{
		corev1.ConditionTrue:    `[]`,
		corev1.ConditionFalse:   fmt.Sprintf(`[{"key":%q,"effect":"NoSchedule"}]`, corev1.TaintNodeNotReady),
		corev1.ConditionUnknown: fmt.Sprintf(`[{"key":%q,"effect":"NoSchedule"}]`, corev1.TaintNodeUnreachable),
	}[status]
	if err := kube.Patch(context.Background(), n, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"taints":`+taints+`}}`))); err != nil {
		t.Fatal(err)
	}
}

// setCordoned cordons or uncordons an outer Node, as kubectl cordon, drain and uncordon do.
func setCordoned(t *testing.T, name string, cordoned bool) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, cordoned)
	if err := kube.Patch(context.Background(), n, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

// withBootstrapData gives a Machine bootstrap data of its own, an empty cloud-config, in place of its
// KubeadmConfig's. The test plays the bootstrap provider here: Cluster API's KubeadmConfig controller writes
// the data of a Machine that joins a cluster only once it reaches the inner cluster's API server, and no
// inner cluster runs next to the test API server.
func withBootstrapData(t *testing.T) func(*clusterv1.Machine, *infrav1.KubernetesMachine) {
	t.Helper()
	return func(m *clusterv1.Machine, _ *infrav1.KubernetesMachine) {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: m.Name + "-bootstrap"},
			Data:       map[string][]byte{"value": []byte("#cloud-config\n"), "format": []byte("cloud-config")},
		}
		if err := kube.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		m.Spec.Bootstrap = clusterv1.Bootstrap{DataSecretName: ptr.To(s.Name)}
	}
}

// failureDomains are what obj's status publishes of the failure domains whose names start with prefix: other
// tests' outer Nodes may be about while this one runs.
func failureDomains(fds []clusterv1.FailureDomain, prefix string) []clusterv1.FailureDomain {
	var out []clusterv1.FailureDomain
	for _, fd := range fds {
		if strings.HasPrefix(fd.Name, prefix) {
			out = append(out, fd)
		}
	}
	return out
}

// waitForFailureDomains waits until the KubernetesCluster and its Cluster (which Cluster API's Cluster
// controller copies them to) publish want of the failure domains named with prefix.
func waitForFailureDomains(t *testing.T, ns, name, prefix string, want []clusterv1.FailureDomain) {
	t.Helper()
	waitFor(t, fmt.Sprintf("failure domains %v", want), func() error {
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, kc); err != nil {
			return err
		}
		if diff := cmp.Diff(want, failureDomains(kc.Status.FailureDomains, prefix)); diff != "" {
			return fmt.Errorf("KubernetesCluster status.failureDomains: -want, +got:\n%s", diff)
		}
		c := &clusterv1.Cluster{}
		if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, c); err != nil {
			return err
		}
		if diff := cmp.Diff(want, failureDomains(c.Status.FailureDomains, prefix)); diff != "" {
			return fmt.Errorf("Cluster status.failureDomains: -want, +got:\n%s", diff)
		}
		return nil
	})
}

func TestFailureDomainsFollowTheOuterNodesZones(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// Zone names of this test's own, so that what it waits for is what its Nodes did.
	zone := func(z string) string { return ns + "-" + z }
	cp := func(z string) clusterv1.FailureDomain {
		return clusterv1.FailureDomain{Name: zone(z), ControlPlane: ptr.To(true)}
	}

	// Nodes made in a subtest live as long as the whole test.
	whole := t
	newOuterNode(t, ns+"-n1", zone("b"))
	newOuterNode(t, ns+"-n2", zone("a"))
	newOuterNode(t, ns+"-n3", zone("a"))
	newOuterNode(t, ns+"-n4", "")
	newCAPICluster(t, ns, "zones")

	t.Run("EachZoneIsAFailureDomain", func(t *testing.T) {
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("a"), cp("b")})
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zones"}, kc); err != nil {
			t.Fatal(err)
		}
		c := conditions.Get(kc, infrav1.KubernetesClusterFailureDomainsReadyCondition)
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != infrav1.KubernetesClusterFailureDomainsDiscoveredReason {
			t.Errorf("FailureDomainsReady: %+v", c)
		}
	})

	t.Run("ARelabelledNodeMovesItsZone", func(t *testing.T) {
		setZone(t, ns+"-n1", zone("c"))
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("a"), cp("c")})
	})

	t.Run("AZoneGoesWithItsLastNode", func(t *testing.T) {
		setZone(t, ns+"-n2", "")
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("a"), cp("c")})
		if err := kube.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: ns + "-n3"}}); err != nil {
			t.Fatal(err)
		}
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("c")})
	})

	t.Run("ANewZoneIsFound", func(t *testing.T) {
		newOuterNode(whole, ns+"-n5", zone("d"))
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("c"), cp("d")})
	})

	// KubeadmControlPlane puts a replacement Machine in the failure domain with the fewest: the zone of a
	// lost or drained outer node, where its node Pod would stay Pending, unless that zone is off the list
	// of control-plane failure domains while it cannot take one.
	off := func(z string) clusterv1.FailureDomain {
		return clusterv1.FailureDomain{Name: zone(z), ControlPlane: ptr.To(false)}
	}
	t.Run("ACordonedZoneTakesNoNewControlPlane", func(t *testing.T) {
		setCordoned(t, ns+"-n5", true)
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("c"), off("d")})
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zones"}, kc); err != nil {
			t.Fatal(err)
		}
		if c := conditions.Get(kc, infrav1.KubernetesClusterFailureDomainsReadyCondition); c == nil || !strings.Contains(c.Message, zone("d")) {
			t.Errorf("FailureDomainsReady should name the zone no new control plane goes to, %s: %+v", zone("d"), c)
		}
		setCordoned(t, ns+"-n5", false)
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("c"), cp("d")})
	})

	t.Run("ALostZoneTakesNoNewControlPlane", func(t *testing.T) {
		setNodeReady(t, ns+"-n1", corev1.ConditionUnknown)
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{off("c"), cp("d")})
		setNodeReady(t, ns+"-n1", corev1.ConditionTrue)
		waitForFailureDomains(t, ns, "zones", ns, []clusterv1.FailureDomain{cp("c"), cp("d")})
	})
}

func TestDeclaredFailureDomains(t *testing.T) {
	ns := newNamespace(t)
	// A zone of the outer cluster's, which declared failure domains leave out.
	newOuterNode(t, ns+"-n1", ns+"-zone")
	newCAPICluster(t, ns, "racks", func(kc *infrav1.KubernetesCluster) {
		kc.Spec.FailureDomains = []infrav1.FailureDomainSpec{
			{Name: "rack-b", NodeSelector: infrav1.NodeLabelSelector{MatchLabels: map[string]infrav1.LabelValue{"rack": "b"}}},
			{Name: "rack-a", ControlPlane: ptr.To(false), NodeSelector: infrav1.NodeLabelSelector{MatchExpressions: []infrav1.NodeLabelSelectorRequirement{
				{Key: "rack", Operator: metav1.LabelSelectorOpIn, Values: []infrav1.LabelValue{"a"}},
			}}},
		}
	})
	// Every failure domain here is the test's: an empty prefix keeps them all, and no discovered zone may be
	// among them.
	waitForFailureDomains(t, ns, "racks", "", []clusterv1.FailureDomain{
		{Name: "rack-a", ControlPlane: ptr.To(false)},
		{Name: "rack-b", ControlPlane: ptr.To(true)},
	})
}

func TestMachineInAFailureDomainIsPinnedThere(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	rackA := infrav1.FailureDomainSpec{Name: "rack-a", NodeSelector: infrav1.NodeLabelSelector{MatchLabels: map[string]infrav1.LabelValue{"rack": "a"}}}
	rackZ := infrav1.FailureDomainSpec{Name: "rack-z", NodeSelector: infrav1.NodeLabelSelector{MatchExpressions: []infrav1.NodeLabelSelectorRequirement{
		{Key: "rack", Operator: metav1.LabelSelectorOpIn, Values: []infrav1.LabelValue{"z"}},
	}}}
	newCAPICluster(t, ns, "pinned", func(kc *infrav1.KubernetesCluster) { kc.Spec.FailureDomains = []infrav1.FailureDomainSpec{rackA} })
	ssd := corev1.NodeSelectorRequirement{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}
	inRack := func(rack string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: "rack", Operator: corev1.NodeSelectorOpIn, Values: []string{rack}}
	}
	nodes := func(role string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{kindnode.LabelClusterName: "pinned", kindnode.LabelRole: role}}
	}

	t.Run("DeclaredFailureDomain", func(t *testing.T) {
		newCAPIMachine(t, ns, "pinned", "cp-a", func(m *clusterv1.Machine, km *infrav1.KubernetesMachine) {
			m.Spec.FailureDomain = "rack-a"
			km.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{ssd}}},
			}}}
		})
		var pod *corev1.Pod
		waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, "cp-a"); return err })

		wantNodes := &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{ssd, inRack("a")}}},
		}}
		if diff := cmp.Diff(&corev1.Affinity{NodeAffinity: wantNodes}, getNodePod(t, ns, "cp-a").Spec.ForProvider.Affinity); diff != "" {
			t.Errorf("the NodePod should require the KubernetesMachine's Nodes that are in the failure domain: -want, +got:\n%s", diff)
		}
		// On the Pod the engine adds its spreading; the failure domain's requirement is kept.
		want := &corev1.Affinity{NodeAffinity: wantNodes, PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: nodes(kindnode.RoleControlPlane), TopologyKey: corev1.LabelHostname},
			}, {
				Weight: 50, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{kindnode.LabelClusterName: "pinned"}}, TopologyKey: corev1.LabelHostname},
			}},
		}}
		if diff := cmp.Diff(want, pod.Spec.Affinity); diff != "" {
			t.Errorf("node Pod affinity: -want, +got:\n%s", diff)
		}
		wantSpread := []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: nodes(kindnode.RoleControlPlane),
		}}
		if diff := cmp.Diff(wantSpread, pod.Spec.TopologySpreadConstraints); diff != "" {
			t.Errorf("node Pod topology spread: -want, +got:\n%s", diff)
		}
		waitFor(t, "the KubernetesMachine's status.failureDomain", func() error {
			km := &infrav1.KubernetesMachine{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "cp-a"}, km); err != nil {
				return err
			}
			if km.Status.FailureDomain != "rack-a" {
				return fmt.Errorf("status.failureDomain %q", km.Status.FailureDomain)
			}
			return nil
		})
	})

	t.Run("UnknownFailureDomainWaits", func(t *testing.T) {
		ownSpread := []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: nodes(kindnode.RoleControlPlane)}}
		newCAPIMachine(t, ns, "pinned", "cp-z", withBootstrapData(t), func(m *clusterv1.Machine, km *infrav1.KubernetesMachine) {
			m.Spec.FailureDomain = "rack-z"
			km.Spec.TopologySpreadConstraints = ownSpread
		})
		waitFor(t, "the KubernetesMachine to say its failure domain is unknown", func() error {
			km := &infrav1.KubernetesMachine{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "cp-z"}, km); err != nil {
				return err
			}
			c := conditions.Get(km, infrav1.KubernetesMachineNodePodReadyCondition)
			if c == nil || c.Reason != infrav1.KubernetesMachineUnknownFailureDomainReason || !strings.Contains(c.Message, `failure domain "rack-z"`) || !strings.Contains(c.Message, "it has rack-a") {
				return fmt.Errorf("NodePodReady: %+v", c)
			}
			return nil
		})
		if _, err := getPod(ns, "cp-z"); !kerrors.IsNotFound(err) {
			t.Errorf("a Machine in an unknown failure domain got a node Pod: %v", err)
		}

		// Declaring the failure domain brings the Machine back through the KubernetesCluster's watch.
		waitFor(t, "rack-z declared", func() error {
			kc := &infrav1.KubernetesCluster{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "pinned"}, kc); err != nil {
				return err
			}
			kc.Spec.FailureDomains = []infrav1.FailureDomainSpec{rackA, rackZ}
			return kube.Update(ctx, kc)
		})
		var pod *corev1.Pod
		waitFor(t, "the node Pod in rack-z", func() (err error) { pod, err = getPod(ns, "cp-z"); return err })
		wantNodes := &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{inRack("z")}}},
		}}
		if pod.Spec.Affinity == nil || !cmp.Equal(wantNodes, pod.Spec.Affinity.NodeAffinity) {
			t.Errorf("node Pod affinity %+v, want node affinity %+v", pod.Spec.Affinity, wantNodes)
		}
		// The KubernetesMachine's own spread replaces the engine's.
		if diff := cmp.Diff(ownSpread, pod.Spec.TopologySpreadConstraints); diff != "" {
			t.Errorf("node Pod topology spread: -want, +got:\n%s", diff)
		}
	})

	t.Run("AFailureDomainThatGoesKeepsItsNodePodsPlacement", func(t *testing.T) {
		waitFor(t, "rack-z removed", func() error {
			kc := &infrav1.KubernetesCluster{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "pinned"}, kc); err != nil {
				return err
			}
			kc.Spec.FailureDomains = []infrav1.FailureDomainSpec{rackA}
			return kube.Update(ctx, kc)
		})
		// A change of the KubernetesMachine still reaches its NodePod; the placement it was made with stays.
		toleration := corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists}
		waitFor(t, "a toleration added to the KubernetesMachine", func() error {
			km := &infrav1.KubernetesMachine{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "cp-z"}, km); err != nil {
				return err
			}
			km.Spec.Tolerations = []corev1.Toleration{toleration}
			return kube.Update(ctx, km)
		})
		wantNodes := &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{inRack("z")}}},
		}}
		waitFor(t, "the NodePod to take the toleration and keep its failure domain", func() error {
			p := getNodePod(t, ns, "cp-z").Spec.ForProvider
			if !cmp.Equal([]corev1.Toleration{toleration}, p.Tolerations) {
				return fmt.Errorf("tolerations %+v", p.Tolerations)
			}
			if p.Affinity == nil || !cmp.Equal(wantNodes, p.Affinity.NodeAffinity) {
				return fmt.Errorf("affinity %+v, want node affinity %+v", p.Affinity, wantNodes)
			}
			return nil
		})
	})
}

// The API server refuses bad failure domains with a message that names the field.
func TestInvalidFailureDomainsAreRejected(t *testing.T) {
	ns := newNamespace(t)
	kcWith := func(name string, fd infrav1.FailureDomainSpec) *infrav1.KubernetesCluster {
		return &infrav1.KubernetesCluster{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       infrav1.KubernetesClusterSpec{FailureDomains: []infrav1.FailureDomainSpec{fd}},
		}
	}
	byLabels := func(l map[string]infrav1.LabelValue) infrav1.NodeLabelSelector {
		return infrav1.NodeLabelSelector{MatchLabels: l}
	}
	byExpression := func(r infrav1.NodeLabelSelectorRequirement) infrav1.NodeLabelSelector {
		return infrav1.NodeLabelSelector{MatchExpressions: []infrav1.NodeLabelSelectorRequirement{r}}
	}
	cases := map[string]struct {
		reason string
		fd     infrav1.FailureDomainSpec
		want   []string
	}{
		"BadOperator": {
			reason: "Selector operators are those of a label selector.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byExpression(infrav1.NodeLabelSelectorRequirement{Key: "rack", Operator: "Gt", Values: []infrav1.LabelValue{"1"}})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchExpressions[0].operator", `supported values: "In", "NotIn", "Exists", "DoesNotExist"`},
		},
		"BadExpressionKey": {
			reason: "An expression's key is a label key.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byExpression(infrav1.NodeLabelSelectorRequirement{Key: "no spaces/in keys", Operator: metav1.LabelSelectorOpExists})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchExpressions[0].key"},
		},
		"BadLabelKey": {
			reason: "matchLabels keys are label keys.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byLabels(map[string]infrav1.LabelValue{"-rack": "a"})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchLabels", "matchLabels keys must be label keys"},
		},
		"BadLabelValue": {
			reason: "matchLabels values are label values.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byLabels(map[string]infrav1.LabelValue{"rack": "a b"})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchLabels.rack"},
		},
		"InWithoutValues": {
			reason: "In and NotIn need values.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byExpression(infrav1.NodeLabelSelectorRequirement{Key: "rack", Operator: metav1.LabelSelectorOpIn})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchExpressions[0]", "values must be given for the operators In and NotIn"},
		},
		"ExistsWithValues": {
			reason: "Exists and DoesNotExist take no values.",
			fd:     infrav1.FailureDomainSpec{Name: "a", NodeSelector: byExpression(infrav1.NodeLabelSelectorRequirement{Key: "rack", Operator: metav1.LabelSelectorOpExists, Values: []infrav1.LabelValue{"a"}})},
			want:   []string{"spec.failureDomains[0].nodeSelector.matchExpressions[0]", "only for them"},
		},
		"EmptySelector": {
			reason: "A failure domain of every Node separates nothing.",
			fd:     infrav1.FailureDomainSpec{Name: "a"},
			want:   []string{"spec.failureDomains[0].nodeSelector", "must select by at least one label"},
		},
		"BadName": {
			reason: "Failure domain names are DNS labels.",
			fd:     infrav1.FailureDomainSpec{Name: "Rack_A", NodeSelector: byLabels(map[string]infrav1.LabelValue{"rack": "a"})},
			want:   []string{"spec.failureDomains[0].name"},
		},
	}
	i := 0
	for name, tc := range cases {
		i++
		t.Run(name, func(t *testing.T) {
			err := kube.Create(context.Background(), kcWith(fmt.Sprintf("bad-%d", i), tc.fd))
			if err == nil {
				t.Fatalf("%s\nthe API server accepted it", tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s\nerror %q does not contain %q", tc.reason, err.Error(), w)
				}
			}
		})
	}

	good := kcWith("good", infrav1.FailureDomainSpec{Name: "rack-a", NodeSelector: infrav1.NodeLabelSelector{
		MatchLabels: map[string]infrav1.LabelValue{"example.com/rack": "a", "pool": ""},
		MatchExpressions: []infrav1.NodeLabelSelectorRequirement{
			{Key: "topology.kubernetes.io/zone", Operator: metav1.LabelSelectorOpNotIn, Values: []infrav1.LabelValue{"zone-9"}},
			{Key: "spare", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}})
	if err := kube.Create(context.Background(), good); err != nil {
		t.Fatalf("a valid failure domain was refused: %v", err)
	}
	if !ptr.Deref(good.Spec.FailureDomains[0].ControlPlane, false) {
		t.Errorf("controlPlane should default to true: %v", good.Spec.FailureDomains[0].ControlPlane)
	}
}
