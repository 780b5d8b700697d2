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

package clients

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kcache "k8s.io/client-go/tools/cache"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// node is a Ready Node as the zone watch sees it; zone "" means no zone label.
func node(name, zone string, mods ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
	if zone != "" {
		n.Labels["topology.kubernetes.io/zone"] = zone
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	for _, m := range mods {
		m(n)
	}
	return n
}

// cordoned marks a Node unschedulable, as kubectl cordon and drain do.
func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

// lost is a Node whose kubelet stopped reporting: Ready Unknown and the node lifecycle controller's taint.
func lost(n *corev1.Node) {
	n.Status.Conditions[0].Status = corev1.ConditionUnknown
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule})
}

func TestZoneTracker(t *testing.T) {
	type step struct {
		// do is what the Node informer tells the tracker.
		do func(h zoneHandler)
		// zones are the zones after it, and changed whether they changed.
		zones   []Zone
		changed bool
	}
	cases := map[string]struct {
		reason string
		steps  []step
	}{
		"FirstAndLastNodeOfAZone": {
			reason: "A zone should appear with its first Node and go with its last, and only then tell anyone.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", "a"), true) }, zones: zs("a"), changed: true},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), true) }, zones: zs("a")},
				{do: func(h zoneHandler) { h.OnDelete(node("n1", "a")) }, zones: zs("a")},
				{do: func(h zoneHandler) { h.OnDelete(kcache.DeletedFinalStateUnknown{Key: "n2", Obj: node("n2", "a")}) }, zones: zs(), changed: true},
			},
		},
		"Relabelled": {
			reason: "A Node whose zone label changes should move to its new zone; its old zone goes when it was the last there.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", "b"), true) }, zones: zs("b"), changed: true},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), true) }, zones: zs("a", "b"), changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "b"), node("n1", "c")) }, zones: zs("a", "c"), changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "c"), node("n1", "a")) }, zones: zs("a"), changed: true},
			},
		},
		"SchedulableNodes": {
			reason: "A zone should stay a zone while its Nodes are lost or cordoned, and tell when it loses its last schedulable Node or gains its first.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", "a"), true) }, zones: zs("a"), changed: true},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a", cordoned), true) }, zones: zs("a")},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "a"), node("n1", "a", lost)) }, zones: []Zone{{Name: "a"}}, changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "a", lost), node("n1", "a", lost)) }, zones: []Zone{{Name: "a"}}},
				{do: func(h zoneHandler) { h.OnUpdate(node("n2", "a", cordoned), node("n2", "a")) }, zones: zs("a"), changed: true},
				{do: func(h zoneHandler) { h.OnDelete(node("n2", "a")) }, zones: []Zone{{Name: "a"}}, changed: true},
				{do: func(h zoneHandler) { h.OnDelete(node("n1", "a", lost)) }, zones: zs(), changed: true},
			},
		},
		"StatusUpdatesAndUnzonedNodes": {
			reason: "Nodes without a zone, and updates that leave a zone as it was, change nothing.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", ""), true) }, zones: zs()},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", ""), node("n1", "")) }, zones: zs()},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), false) }, zones: zs("a"), changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n2", "a"), node("n2", "a")) }, zones: zs("a")},
				{do: func(h zoneHandler) { h.OnUpdate(node("n2", "a"), node("n2", "")) }, zones: zs(), changed: true},
				{do: func(h zoneHandler) { h.OnDelete(node("n9", "x")) }, zones: zs()},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			changed := 0
			z := newZoneTracker(nil, 0, func() { changed++ })
			for i, s := range tc.steps {
				before := changed
				s.do(zoneHandler{z})
				if diff := cmp.Diff(s.changed, changed > before); diff != "" {
					t.Errorf("\n%s\nstep %d: zones changed: -want, +got:\n%s", tc.reason, i, diff)
				}
				if diff := cmp.Diff(s.zones, z.zones(), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("\n%s\nstep %d: zones: -want, +got:\n%s", tc.reason, i, diff)
				}
			}
		})
	}
}

// zs are schedulable zones of the given names.
func zs(names ...string) []Zone {
	out := make([]Zone, 0, len(names))
	for _, n := range names {
		out = append(out, Zone{Name: n, Schedulable: true})
	}
	return out
}

func TestSchedulable(t *testing.T) {
	cases := map[string]struct {
		reason string
		node   *corev1.Node
		want   bool
	}{
		"Ready":    {reason: "A Ready Node takes new Pods.", node: node("n", "a"), want: true},
		"Cordoned": {reason: "A cordoned (or draining) Node takes no new Pods.", node: node("n", "a", cordoned)},
		"Lost":     {reason: "A Node whose kubelet stopped reporting takes no new Pods.", node: node("n", "a", lost)},
		"NotReady": {reason: "A Node whose kubelet reports NotReady takes no new Pods.", node: node("n", "a", func(n *corev1.Node) {
			n.Status.Conditions[0].Status = corev1.ConditionFalse
		})},
		"NoReadyCondition": {reason: "A Node no kubelet reported on yet takes no new Pods.", node: node("n", "a", func(n *corev1.Node) {
			n.Status.Conditions = nil
		})},
		"OutOfService": {reason: "A Node an administrator marked out of service takes no new Pods.", node: node("n", "a", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeOutOfService, Effect: corev1.TaintEffectNoExecute}}
		})},
		"OtherTaint": {reason: "A taint of the user's own is for the Pods' tolerations to judge, not for zones.", node: node("n", "a", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "infra", Effect: corev1.TaintEffectNoSchedule}}
		}), want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Schedulable(tc.node)); diff != "" {
				t.Errorf("\n%s\nSchedulable(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNodeFields(t *testing.T) {
	full := node("n", "a", cordoned, lost)
	full.UID, full.ResourceVersion = "uid", "7"
	full.Annotations = map[string]string{"big": "yes"}
	full.Spec.PodCIDR = "10.0.0.0/24"
	full.Status.Images = []corev1.ContainerImage{{Names: []string{"some/image"}, SizeBytes: 1 << 30}}
	full.Status.Conditions = append(full.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse})
	want := node("n", "a", cordoned, lost)
	want.UID, want.ResourceVersion = "uid", "7"

	got, err := nodeFields(full)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("\nThe Node informer should keep a Node's labels, cordon, taints and Ready condition, and nothing else.\nnodeFields(...): -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(Schedulable(full), Schedulable(got.(*corev1.Node))); diff != "" {
		t.Errorf("\nWhat nodeFields keeps should be all Schedulable needs.\n-want, +got:\n%s", diff)
	}
}

func TestZonesChangedTellsTheClustersWatchers(t *testing.T) {
	r := NewRegistry(nil, nil)
	mine, other := &Cluster{}, &Cluster{}
	a := kindnode.Owner{Kind: "KubernetesCluster", Namespace: "ns", Name: "a"}
	b := kindnode.Owner{Kind: "KubernetesCluster", Namespace: "ns", Name: "b"}
	gone := kindnode.Owner{Kind: "KubernetesCluster", Namespace: "ns", Name: "gone"}
	r.zoneWatchers[a], r.zoneWatchers[b], r.zoneWatchers[gone] = mine, other, mine
	r.ForgetZones(gone)
	var told []kindnode.Owner
	r.zoneSinks = append(r.zoneSinks, func(o kindnode.Owner) { told = append(told, o) })

	r.zonesChanged(mine)
	if diff := cmp.Diff([]kindnode.Owner{a}, told); diff != "" {
		t.Errorf("\nA change of one outer cluster's zones should reach the objects that watch that cluster's, and no forgotten one.\nowners told: -want, +got:\n%s", diff)
	}
}
