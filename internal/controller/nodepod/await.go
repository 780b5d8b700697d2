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

package nodepod

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// eventWait is how long a NodePod whose Pod was just created or is being deleted waits for the Pod's watch
// event before it is reconciled anyway, should the event never come.
const eventWait = 30 * time.Second

// expectations are the NodePods whose reconcile created or deleted a Pod, and will hear of it from the Pod's
// watch.
type expectations struct {
	mu  sync.Mutex
	set map[types.NamespacedName]bool
}

func newExpectations() *expectations {
	return &expectations{set: map[types.NamespacedName]bool{}}
}

// expect notes that the Pod of NodePod nn will send a watch event.
func (e *expectations) expect(nn types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.set[nn] = true
}

// take reports whether a Pod watch event is expected for NodePod nn, and forgets it.
func (e *expectations) take(nn types.NamespacedName) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	ok := e.set[nn]
	delete(e.set, nn)
	return ok
}

// awaitEvents keeps the managed reconciler from polling a Pod it just created or deleted. After either it asks
// to be requeued at once, with a backoff from one second up; the Pod's watch event, which a created Pod sends
// at once and a deleted one when it is gone, reconciles the NodePod anyway, and every poll before costs a
// reconcile, and after a delete the finalizer's release waits for the next poll.
type awaitEvents struct {
	inner    reconcile.Reconciler
	expected *expectations
}

func (a awaitEvents) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := a.inner.Reconcile(ctx, req)
	if a.expected.take(req.NamespacedName) && err == nil && res.Requeue { //nolint:staticcheck // The managed reconciler still says Requeue.
		return reconcile.Result{RequeueAfter: eventWait}, nil
	}
	return res, err
}
