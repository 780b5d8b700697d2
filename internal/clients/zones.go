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

// nodeMetadata is what the provider watches of an outer cluster's Nodes: their metadata, which holds the zone
// label, and not their status, which the kubelets rewrite all the time.
func nodeMetadata() client.Object {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Node"))
	return m
}

// Zones returns the zones of the outer cluster c: the values of its Nodes' topology.kubernetes.io/zone label,
// sorted; a Node without the label is in none. From then on the sources of ZoneSource hear of owner whenever
// that set changes, until ForgetZones(owner), or Zones for owner with another cluster.
//
// The first call for a cluster starts watching its Nodes and may wait up to the registry's sync timeout for
// the first list; once that time has passed, a cluster whose Nodes cannot be listed fails at once, and owner
// hears of the zones when the list succeeds.
func (r *Registry) Zones(ctx context.Context, c *Cluster, owner kindnode.Owner) ([]string, error) {
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

// zoneTracker counts an outer cluster's Nodes per zone. It watches Nodes only once a zone is asked for: a
// connection used for nothing but node Pods needs no permission on Nodes.
type zoneTracker struct {
	cache   cache.Cache
	timeout time.Duration
	// changed is called, without mu held, whenever a zone gains its first Node or loses its last.
	changed func()

	mu      sync.Mutex
	started time.Time
	synced  func() bool
	// zoneOf is the zone of each Node by name, "" for none; perZone counts the Nodes of each zone.
	zoneOf  map[string]string
	perZone map[string]int
}

func newZoneTracker(c cache.Cache, timeout time.Duration, changed func()) *zoneTracker {
	return &zoneTracker{cache: c, timeout: timeout, changed: changed, zoneOf: map[string]string{}, perZone: map[string]int{}}
}

// get returns the zones, sorted, once the Nodes were listed.
func (z *zoneTracker) get(ctx context.Context) ([]string, error) {
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
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Sorted(maps.Keys(z.perZone)), nil
}

// start watches the Nodes unless that was done before, and returns whether they were listed and until when
// to wait for that.
func (z *zoneTracker) start(ctx context.Context) (synced func() bool, deadline time.Time, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.synced == nil {
		inf, err := z.cache.GetInformer(ctx, nodeMetadata(), cache.BlockUntilSynced(false))
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

// set records that Node name is in zone ("" for none), and whether the set of zones changed.
func (z *zoneTracker) set(name, zone string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	prev, known := z.zoneOf[name]
	if known && prev == zone {
		return false
	}
	z.zoneOf[name] = zone
	changed := known && z.leave(prev)
	if zone != "" {
		z.perZone[zone]++
		changed = changed || z.perZone[zone] == 1
	}
	return changed
}

// remove records that Node name is gone, and whether the set of zones changed.
func (z *zoneTracker) remove(name string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	prev, known := z.zoneOf[name]
	if !known {
		return false
	}
	delete(z.zoneOf, name)
	return z.leave(prev)
}

// leave takes a Node out of zone, and reports whether that was the zone's last. z.mu is held.
func (z *zoneTracker) leave(zone string) bool {
	if zone == "" {
		return false
	}
	z.perZone[zone]--
	if z.perZone[zone] > 0 {
		return false
	}
	delete(z.perZone, zone)
	return true
}

// zoneHandler feeds a zoneTracker from the Node informer. A Node's status changes reach it too, as metadata
// updates with a new resource version; they change no zone and tell nobody.
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
	if o, ok := obj.(client.Object); ok && h.z.set(o.GetName(), o.GetLabels()[corev1.LabelTopologyZone]) {
		h.z.changed()
	}
}
