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
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kcache "k8s.io/client-go/tools/cache"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// node is the metadata of a Node as the zone watch sees it; zone "" means no zone label.
func node(name, zone string) *metav1.PartialObjectMetadata {
	n := nodeMetadata().(*metav1.PartialObjectMetadata) //nolint:forcetypeassert // nodeMetadata makes one.
	n.Name = name
	if zone != "" {
		n.Labels = map[string]string{"topology.kubernetes.io/zone": zone, "kubernetes.io/hostname": name}
	}
	return n
}

func TestZoneTracker(t *testing.T) {
	type step struct {
		// do is what the Node informer tells the tracker.
		do func(h zoneHandler)
		// zones are the zones after it, and changed whether the set changed.
		zones   []string
		changed bool
	}
	cases := map[string]struct {
		reason string
		steps  []step
	}{
		"FirstAndLastNodeOfAZone": {
			reason: "A zone should appear with its first Node and go with its last, and only then tell anyone.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", "a"), true) }, zones: []string{"a"}, changed: true},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), true) }, zones: []string{"a"}},
				{do: func(h zoneHandler) { h.OnDelete(node("n1", "a")) }, zones: []string{"a"}},
				{do: func(h zoneHandler) { h.OnDelete(kcache.DeletedFinalStateUnknown{Key: "n2", Obj: node("n2", "a")}) }, zones: nil, changed: true},
			},
		},
		"Relabelled": {
			reason: "A Node whose zone label changes should move to its new zone; its old zone goes when it was the last there.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", "b"), true) }, zones: []string{"b"}, changed: true},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), true) }, zones: []string{"a", "b"}, changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "b"), node("n1", "c")) }, zones: []string{"a", "c"}, changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", "c"), node("n1", "a")) }, zones: []string{"a"}, changed: true},
			},
		},
		"StatusUpdatesAndUnzonedNodes": {
			reason: "Nodes without a zone, and updates that leave a zone as it was, change nothing.",
			steps: []step{
				{do: func(h zoneHandler) { h.OnAdd(node("n1", ""), true) }, zones: nil},
				{do: func(h zoneHandler) { h.OnUpdate(node("n1", ""), node("n1", "")) }, zones: nil},
				{do: func(h zoneHandler) { h.OnAdd(node("n2", "a"), false) }, zones: []string{"a"}, changed: true},
				{do: func(h zoneHandler) { h.OnUpdate(node("n2", "a"), node("n2", "a")) }, zones: []string{"a"}},
				{do: func(h zoneHandler) { h.OnUpdate(node("n2", "a"), node("n2", "")) }, zones: nil, changed: true},
				{do: func(h zoneHandler) { h.OnDelete(node("n9", "x")) }, zones: nil},
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
				if diff := cmp.Diff(s.zones, slices.Sorted(maps.Keys(z.perZone))); diff != "" {
					t.Errorf("\n%s\nstep %d: zones: -want, +got:\n%s", tc.reason, i, diff)
				}
			}
		})
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
