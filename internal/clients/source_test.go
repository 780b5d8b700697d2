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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kcache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

func ownedPod(kind, rv string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "outer", Name: "p", ResourceVersion: rv,
		Labels: kindnode.OwnerLabels(kindnode.Owner{Kind: kind, Namespace: "ns", Name: "mr"})}}
}

func TestSource(t *testing.T) {
	// onlyDeletions passes the deletions of objects and nothing else.
	onlyDeletions := func(e Event, _ types.NamespacedName) (bool, time.Duration) { return e.Deleted, 0 }
	// updates passes updates, recording what it saw.
	var seen []Event
	updates := func(e Event, _ types.NamespacedName) (bool, time.Duration) {
		seen = append(seen, e)
		return e.Old != nil, 0
	}
	// later passes everything, a while later.
	later := func(Event, types.NamespacedName) (bool, time.Duration) { return true, 50 * time.Millisecond }

	mr := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "mr"}}
	cases := map[string]struct {
		reason  string
		filters []Filter
		notify  func(h handlerFuncs)
		delay   time.Duration // how long after the event the requests may be enqueued, at the earliest
		want    []reconcile.Request
	}{
		"OwnerEnqueued": {
			reason: "A change of an outer object enqueues the managed resource its labels name.",
			notify: func(h handlerFuncs) { h.OnAdd(ownedPod("NodePod", "1"), false) },
			want:   []reconcile.Request{mr},
		},
		"OtherKind": {
			reason: "An object owned by another kind does not enqueue this kind.",
			notify: func(h handlerFuncs) { h.OnAdd(ownedPod("NodeService", "1"), false) },
		},
		"FilteredOut": {
			reason:  "A change no filter passes enqueues nothing.",
			filters: []Filter{onlyDeletions},
			notify:  func(h handlerFuncs) { h.OnUpdate(ownedPod("NodePod", "1"), ownedPod("NodePod", "2")) },
		},
		"DeletedFinalStateUnknown": {
			reason:  "A deletion the informer missed is a deletion of the last object seen.",
			filters: []Filter{onlyDeletions},
			notify: func(h handlerFuncs) {
				h.OnDelete(kcache.DeletedFinalStateUnknown{Key: "outer/p", Obj: ownedPod("NodePod", "1")})
			},
			want: []reconcile.Request{mr},
		},
		"Delayed": {
			reason:  "A change a filter delays is enqueued after the delay.",
			filters: []Filter{later},
			notify:  func(h handlerFuncs) { h.OnUpdate(ownedPod("NodePod", "1"), ownedPod("NodePod", "2")) },
			delay:   50 * time.Millisecond,
			want:    []reconcile.Request{mr},
		},
		"UpdateCarriesOld": {
			reason:  "An update hands the filters the object before and after.",
			filters: []Filter{updates},
			notify:  func(h handlerFuncs) { h.OnUpdate(ownedPod("NodePod", "1"), ownedPod("NodePod", "2")) },
			want:    []reconcile.Request{mr},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := NewRegistry(nil, nil)
			q := &recordingQueue{TypedRateLimitingInterface: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())}
			defer q.ShutDown()
			if err := r.Source("NodePod", tc.filters...).Start(context.Background(), q); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tc.notify(handlerFuncs{emit: r.emit})

			// The source hands every request to the queue while the event is delivered, delayed or not, so
			// what it asked for is known now; nothing that was not asked for can arrive later.
			var asked []reconcile.Request
			for _, a := range q.added {
				asked = append(asked, a.req)
				if a.after != tc.delay {
					t.Errorf("%s\n%v enqueued after %s, want after %s", tc.reason, a.req, a.after, tc.delay)
				}
			}
			if diff := cmp.Diff(tc.want, asked); diff != "" {
				t.Errorf("%s\nenqueued: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.delay > 0 && q.Len() != 0 {
				t.Errorf("%s\n%d requests ready at once, want them after %s", tc.reason, q.Len(), tc.delay)
			}

			// And the queue hands them out, not before their delay.
			for range tc.want {
				req, ok := testenv.GetWithin(q, 30*time.Second)
				if !ok {
					t.Fatalf("%s\nno request within 30s of the event", tc.reason)
				}
				if waited := time.Since(start); waited < tc.delay {
					t.Errorf("%s\n%v handed out after %s, want %s at least", tc.reason, req, waited, tc.delay)
				}
				q.Done(req)
			}
		})
	}
	want := []string{"1", "2"}
	if len(seen) != 1 || seen[0].Old == nil {
		t.Fatalf("the update filter saw %d events, want one with the old object", len(seen))
	}
	if diff := cmp.Diff(want, []string{seen[0].Old.GetResourceVersion(), seen[0].Object.GetResourceVersion()}); diff != "" {
		t.Errorf("resource versions of the old and new object the filter saw: -want, +got:\n%s", diff)
	}
}

// recordingQueue records what is added to a queue, and with what delay, as it is added.
type recordingQueue struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	added []added
}

type added struct {
	req   reconcile.Request
	after time.Duration
}

func (q *recordingQueue) Add(req reconcile.Request) {
	q.added = append(q.added, added{req: req})
	q.TypedRateLimitingInterface.Add(req)
}

func (q *recordingQueue) AddAfter(req reconcile.Request, d time.Duration) {
	q.added = append(q.added, added{req: req, after: d})
	q.TypedRateLimitingInterface.AddAfter(req, d)
}

func (q *recordingQueue) AddRateLimited(req reconcile.Request) {
	q.added = append(q.added, added{req: req, after: -1})
	q.TypedRateLimitingInterface.AddRateLimited(req)
}

func TestSourcePriority(t *testing.T) {
	now := func(Event, types.NamespacedName) (bool, time.Duration) { return true, 0 }
	mr := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "mr"}}
	backlog := []reconcile.Request{
		{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "new-1"}},
		{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "new-2"}},
	}

	r := NewRegistry(nil, nil)
	q := priorityqueue.New[reconcile.Request]("test")
	defer q.ShutDown()
	if err := r.Source("NodePod", now).Start(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	for _, req := range backlog {
		q.Add(req)
	}
	h := handlerFuncs{emit: r.emit}
	h.OnUpdate(ownedPod("NodePod", "1"), ownedPod("NodePod", "2"))

	var got []reconcile.Request
	for len(got) < 3 {
		req, prio, _ := q.GetWithPriority()
		if req == mr && prio != OuterChangePriority {
			t.Errorf("the outer change was enqueued at priority %d, want %d", prio, OuterChangePriority)
		}
		got = append(got, req)
		q.Done(req)
	}
	want := append([]reconcile.Request{mr}, backlog...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("An outer change goes ahead of managed resources queued before it.\norder: -want, +got:\n%s", diff)
	}
}
