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
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kcache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errNodeInformer = "cannot watch the outer cluster's Nodes"
	errNodesSync    = "cannot list the outer cluster's Nodes within %s; check that the credentials may list and watch Nodes"
)

// Zone is a zone of an outer cluster's Nodes.
type Zone struct {
	// Name is the value of the Nodes' topology.kubernetes.io/zone label.
	Name string
	// Schedulable says that at least one Node of the zone can take a new node Pod: it is Ready and not
	// cordoned. A zone whose Nodes are all lost, draining or cordoned is still a zone (the Machines in it
	// keep their failure domain) but no place for a new control-plane node.
	Schedulable bool
}

// outerNode is what the provider watches of an outer cluster's Node: its labels, which hold the zone, and
// whether it can take new Pods. nodeFields cuts every Node in the informer down to that, so that a large
// outer cluster's Nodes (their images, addresses, volumes) take no room in the provider.
func outerNode() client.Object {
	return &corev1.Node{}
}

// nodeFields is the transform of the Node informer: labels, spec.unschedulable, the taints and the Ready
// condition stay; the rest goes.
func nodeFields(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	out := &corev1.Node{
		TypeMeta: n.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: n.Name, UID: n.UID, ResourceVersion: n.ResourceVersion, Labels: n.Labels,
			DeletionTimestamp: n.DeletionTimestamp,
		},
		Spec: corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable, Taints: n.Spec.Taints},
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Status.Conditions = []corev1.NodeCondition{c}
		}
	}
	return out, nil
}

// Schedulable says whether a new Pod can run on n: its kubelet reports Ready, nobody cordoned it, and the
// outer cluster marked it neither unreachable nor out of service.
func Schedulable(n *corev1.Node) bool {
	if n.Spec.Unschedulable || n.DeletionTimestamp != nil {
		return false
	}
	for _, t := range n.Spec.Taints {
		switch t.Key {
		case corev1.TaintNodeUnreachable, corev1.TaintNodeNotReady, corev1.TaintNodeUnschedulable, corev1.TaintNodeOutOfService:
			return false
		}
	}
	return NodeReady(n) == corev1.ConditionTrue
}

// NodeReady is the status of n's Ready condition: True or False as its kubelet reports it, Unknown once the
// outer cluster lost touch with the kubelet, "" before any report.
func NodeReady(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

// Zones returns the zones of the outer cluster c, sorted by name: the values of its Nodes'
// topology.kubernetes.io/zone label, each with whether one of its Nodes can take a new Pod; a Node without
// the label is in none. From then on the sources of ZoneSource hear of owner whenever that changes (a zone
// comes or goes, or its last schedulable Node does), until ForgetZones(owner), or Zones for owner with
// another cluster.
//
// The first call for a cluster starts watching its Nodes and may wait up to the registry's sync timeout for
// the first list; once that time has passed, a cluster whose Nodes cannot be listed fails at once, and owner
// hears of the zones when the list succeeds.
func (r *Registry) Zones(ctx context.Context, c *Cluster, owner kindnode.Owner) ([]Zone, error) {
	r.mu.Lock()
	r.zoneWatchers[owner] = c
	r.mu.Unlock()
	return c.zones.get(ctx)
}

// ForgetZones stops telling the sources of ZoneSource of owner.
func (r *Registry) ForgetZones(owner kindnode.Owner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.zoneWatchers, owner)
}

// ZoneSource returns a controller source that enqueues the object of the given kind, as Zones was told of
// it, whenever the zones of its outer cluster change, ahead of the queue at OuterChangePriority when the
// controller's queue has priorities.
func (r *Registry) ZoneSource(kind string) source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.zoneSinks = append(r.zoneSinks, func(o kindnode.Owner) {
			if o.Kind == kind {
				AtPriority(q, OuterChangePriority).Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.Namespace, Name: o.Name}})
			}
		})
		return nil
	})
}

// zonesChanged tells the sinks of every owner that watches c's zones.
func (r *Registry) zonesChanged(c *Cluster) {
	r.mu.Lock()
	var owners []kindnode.Owner
	for o, wc := range r.zoneWatchers {
		if wc == c {
			owners = append(owners, o)
		}
	}
	sinks := r.zoneSinks
	r.mu.Unlock()
	for _, o := range owners {
		for _, fn := range sinks {
			fn(o)
		}
	}
}

// zoneTracker counts an outer cluster's Nodes per zone, and those of them that can take a new Pod. It
// watches Nodes only once a zone is asked for: a connection used for nothing but node Pods needs no
// permission on Nodes.
type zoneTracker struct {
	cache   cache.Cache
	timeout time.Duration
	// changed is called, without mu held, whenever a zone gains its first Node or loses its last, or gains
	// its first schedulable Node or loses its last.
	changed func()

	mu      sync.Mutex
	started time.Time
	synced  func() bool
	// nodes is what the tracker knows of each Node by name; perZone counts the Nodes of each zone, and
	// schedulable those of them that can take a new Pod.
	nodes       map[string]trackedNode
	perZone     map[string]int
	schedulable map[string]int
}

// trackedNode is a Node as the tracker counts it: its zone ("" for none) and whether it takes new Pods.
type trackedNode struct {
	zone        string
	schedulable bool
}

func newZoneTracker(c cache.Cache, timeout time.Duration, changed func()) *zoneTracker {
	return &zoneTracker{cache: c, timeout: timeout, changed: changed,
		nodes: map[string]trackedNode{}, perZone: map[string]int{}, schedulable: map[string]int{}}
}

// get returns the zones, sorted, once the Nodes were listed.
func (z *zoneTracker) get(ctx context.Context) ([]Zone, error) {
	synced, deadline, err := z.start(ctx)
	if err != nil {
		return nil, err
	}
	if !synced() {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		if !kcache.WaitForCacheSync(wctx.Done(), synced) {
			return nil, errors.Errorf(errNodesSync, z.timeout)
		}
	}
	return z.zones(), nil
}

// zones are the zones the tracker counts, sorted by name.
func (z *zoneTracker) zones() []Zone {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := make([]Zone, 0, len(z.perZone))
	for _, name := range slices.Sorted(maps.Keys(z.perZone)) {
		out = append(out, Zone{Name: name, Schedulable: z.schedulable[name] > 0})
	}
	return out
}

// start watches the Nodes unless that was done before, and returns whether they were listed and until when
// to wait for that.
func (z *zoneTracker) start(ctx context.Context) (synced func() bool, deadline time.Time, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.synced == nil {
		inf, err := z.cache.GetInformer(ctx, outerNode(), cache.BlockUntilSynced(false))
		if err != nil {
			return nil, time.Time{}, errors.Wrap(err, errNodeInformer)
		}
		reg, err := inf.AddEventHandler(zoneHandler{z})
		if err != nil {
			return nil, time.Time{}, errors.Wrap(err, errNodeInformer)
		}
		z.synced, z.started = reg.HasSynced, time.Now()
	}
	return z.synced, z.started.Add(z.timeout), nil
}

// set records what Node name now is, and whether that changed the zones.
func (z *zoneTracker) set(name string, now trackedNode) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	prev, known := z.nodes[name]
	if known && prev == now {
		return false
	}
	z.nodes[name] = now
	changed := known && z.leave(prev)
	return z.join(now) || changed
}

// remove records that Node name is gone, and whether that changed the zones.
func (z *zoneTracker) remove(name string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	prev, known := z.nodes[name]
	if !known {
		return false
	}
	delete(z.nodes, name)
	return z.leave(prev)
}

// join counts n in its zone, and reports whether the zone is new or has its first schedulable Node. z.mu
// is held.
func (z *zoneTracker) join(n trackedNode) bool {
	if n.zone == "" {
		return false
	}
	z.perZone[n.zone]++
	changed := z.perZone[n.zone] == 1
	if n.schedulable {
		z.schedulable[n.zone]++
		changed = changed || z.schedulable[n.zone] == 1
	}
	return changed
}

// leave takes n out of its zone, and reports whether that was the zone's last Node or last schedulable one.
// z.mu is held.
func (z *zoneTracker) leave(n trackedNode) bool {
	if n.zone == "" {
		return false
	}
	changed := false
	if n.schedulable {
		z.schedulable[n.zone]--
		if z.schedulable[n.zone] == 0 {
			delete(z.schedulable, n.zone)
			changed = true
		}
	}
	z.perZone[n.zone]--
	if z.perZone[n.zone] == 0 {
		delete(z.perZone, n.zone)
		changed = true
	}
	return changed
}

// zoneHandler feeds a zoneTracker from the Node informer. Most updates of a Node (its heartbeats'
// conditions, its labels but the zone) change nothing the tracker counts and tell nobody.
type zoneHandler struct {
	z *zoneTracker
}

var _ kcache.ResourceEventHandler = zoneHandler{}

func (h zoneHandler) OnAdd(obj any, _ bool) { h.update(obj) }

func (h zoneHandler) OnUpdate(_, obj any) { h.update(obj) }

func (h zoneHandler) OnDelete(obj any) {
	if final, ok := obj.(kcache.DeletedFinalStateUnknown); ok {
		obj = final.Obj
	}
	if o, ok := obj.(client.Object); ok && h.z.remove(o.GetName()) {
		h.z.changed()
	}
}

func (h zoneHandler) update(obj any) {
	n, ok := obj.(*corev1.Node)
	if ok && h.z.set(n.Name, trackedNode{zone: n.Labels[corev1.LabelTopologyZone], schedulable: Schedulable(n)}) {
		h.z.changed()
	}
}
