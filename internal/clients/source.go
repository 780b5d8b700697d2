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
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// OuterChangePriority is the priority, in a controller's priority queue, of a managed resource whose outer
// object just changed in a way its filters want seen at once, such as a Pod turning ready or going away. It is
// above that of the managed resources' own events (zero, or lower for those of a resync), so that a backlog of
// new managed resources, each a few writes, does not hold back the one write that reports a node Ready.
const OuterChangePriority = 10

// AtPriority returns q adding what is added to it at priority p at least, when q is a priority queue, and q
// itself otherwise. It holds however items are added: controller-runtime's handlers add through AddWithOpts,
// with a priority of their own, when they see a priority queue.
func AtPriority(q workqueue.TypedRateLimitingInterface[reconcile.Request], p int) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request])
	if !ok {
		return q
	}
	return atPriority{PriorityQueue: pq, priority: p}
}

type atPriority struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	priority int
}

func (q atPriority) Add(item reconcile.Request) {
	q.AddWithOpts(priorityqueue.AddOpts{}, item)
}

func (q atPriority) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	if o.Priority == nil || *o.Priority < q.priority {
		o.Priority = &q.priority
	}
	q.PriorityQueue.AddWithOpts(o, items...)
}

// A Filter tells whether an event of an outer object concerns the managed resource that owns it, and how
// long the reconcile it asks for may wait for more events of the object: one reconcile then sees them all.
type Filter func(e Event, owner types.NamespacedName) (pass bool, wait time.Duration)

// Source returns a controller source that enqueues the managed resource of the given kind that owns an outer
// object, whenever the object changes in any outer cluster and every filter passes the change, after the
// longest wait they ask for. Ownership is read from the owner labels the engine puts on every object it
// builds. A change no filter delays goes ahead of the queue at OuterChangePriority when the controller's queue
// has priorities.
func (r *Registry) Source(kind string, filters ...Filter) source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		r.AddSink(func(e Event) {
			o, ok := kindnode.OwnerFromLabels(e.Object.GetLabels())
			if !ok || o.Kind != kind {
				return
			}
			nn := types.NamespacedName{Namespace: o.Namespace, Name: o.Name}
			var wait time.Duration
			for _, f := range filters {
				pass, w := f(e, nn)
				if !pass {
					return
				}
				wait = max(wait, w)
			}
			req := reconcile.Request{NamespacedName: nn}
			if wait > 0 {
				q.AddAfter(req, wait)
				return
			}
			AtPriority(q, OuterChangePriority).Add(req)
		})
		return nil
	})
}
