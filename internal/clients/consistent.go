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
	"reflect"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// catchUpTimeout bounds how long a read waits for the cache to see this client's last write. The cache
	// is a watch behind the API server, normally milliseconds; past this the read returns what the cache
	// has and a write based on it fails with a conflict, as it would without the wait.
	catchUpTimeout = 2 * time.Second
	// catchUpPoll is how often a waiting read looks at the cache again.
	catchUpPoll = 2 * time.Millisecond
)

// A ConsistentClient reads from an informer cache and writes to the API server, like a manager's client, and
// spares the requests and reconciles a reconciler otherwise spends on its own writes:
//
//   - A read of an object this client wrote or created waits, briefly, until the cache has seen the write.
//     The managed reconciler writes an object several times per reconcile, and a watch event often asks for
//     the next reconcile at once; reading the object as it was before those writes makes that reconcile's
//     writes fail with a conflict, which requeues it a second or more later, and reading a Pod it just
//     created as missing makes it create the Pod again.
//   - An update that would not change the object, or a status update that would not change its status, is
//     not sent: the managed reconciler writes the status at the end of every reconcile, changed or not.
type ConsistentClient struct {
	client.Client

	mu      sync.Mutex
	written map[objectKey]*write
	pruned  time.Time
}

type objectKey struct {
	gvk schema.GroupVersionKind
	key client.ObjectKey
}

// A write is what the cache should show of an object after this client wrote it.
type write struct {
	// superseded are the resource versions the object had before this client's writes; the cache is behind
	// as long as it returns one of them.
	superseded map[string]bool
	// created is set when this client created the object; the cache is behind as long as it does not have it.
	created bool
	at      time.Time
}

// NewConsistentClient wraps c, which should read from a cache that c's writes reach through a watch.
func NewConsistentClient(c client.Client) *ConsistentClient {
	return &ConsistentClient{Client: c, written: map[objectKey]*write{}}
}

// Get reads obj from the cache, once the cache has seen this client's last write of it.
func (c *ConsistentClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	k, ok := c.key(obj, key)
	err := c.Client.Get(ctx, key, obj, opts...)
	if !ok || !c.stale(k, obj, err) {
		return err
	}
	deadline := time.NewTimer(catchUpTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(catchUpPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return err
		case <-deadline.C:
			return err
		case <-tick.C:
		}
		err = c.Client.Get(ctx, key, obj, opts...)
		if !c.stale(k, obj, err) {
			return err
		}
	}
}

// Create creates obj and notes it.
func (c *ConsistentClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := c.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	c.wrote(obj, "", true)
	return nil
}

// Update writes obj unless it equals, status aside, what the cache holds at the same resource version.
func (c *ConsistentClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if len(opts) == 0 && c.unchanged(ctx, obj, false) {
		return nil
	}
	rv := obj.GetResourceVersion()
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	c.wrote(obj, rv, false)
	return nil
}

// Patch patches obj and notes the write.
func (c *ConsistentClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	rv := obj.GetResourceVersion()
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	c.wrote(obj, rv, false)
	return nil
}

// Status returns a writer of the status subresource that skips writes that would not change the status.
func (c *ConsistentClient) Status() client.SubResourceWriter {
	return &statusWriter{SubResourceWriter: c.Client.Status(), c: c}
}

type statusWriter struct {
	client.SubResourceWriter
	c *ConsistentClient
}

// Update writes obj's status unless it equals what the cache holds at the same resource version.
func (w *statusWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if len(opts) == 0 && w.c.unchanged(ctx, obj, true) {
		return nil
	}
	rv := obj.GetResourceVersion()
	if err := w.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	w.c.wrote(obj, rv, false)
	return nil
}

// Patch patches obj's status and notes the write.
func (w *statusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	rv := obj.GetResourceVersion()
	if err := w.SubResourceWriter.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	w.c.wrote(obj, rv, false)
	return nil
}

// unchanged reports whether obj, its status only or everything but its status, equals the object the cache
// holds at obj's resource version. It is false whenever it cannot tell.
func (c *ConsistentClient) unchanged(ctx context.Context, obj client.Object, status bool) bool {
	if obj.GetResourceVersion() == "" {
		return false
	}
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return false
	}
	o, err := c.Scheme().New(gvk)
	if err != nil {
		return false
	}
	cached, ok := o.(client.Object)
	if !ok {
		return false
	}
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(obj), cached); err != nil || cached.GetResourceVersion() != obj.GetResourceVersion() {
		return false
	}
	a, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return false
	}
	b, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cached)
	if err != nil {
		return false
	}
	if status {
		return reflect.DeepEqual(a["status"], b["status"])
	}
	delete(a, "status")
	delete(b, "status")
	return reflect.DeepEqual(a, b)
}

func (c *ConsistentClient) key(obj client.Object, key client.ObjectKey) (objectKey, bool) {
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return objectKey{}, false
	}
	return objectKey{gvk: gvk, key: key}, true
}

// wrote notes that obj, which had resource version before, was written, or that it was created.
func (c *ConsistentClient) wrote(obj client.Object, before string, created bool) {
	k, ok := c.key(obj, client.ObjectKeyFromObject(obj))
	if !ok || (!created && (before == "" || before == obj.GetResourceVersion())) {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	w, ok := c.written[k]
	if !ok {
		w = &write{superseded: map[string]bool{}}
		c.written[k] = w
	}
	if created {
		w.created = true
	} else {
		w.superseded[before] = true
	}
	w.at = now
}

// stale reports whether the cache, which answered a read of obj with err, has not yet seen this client's
// writes of it; the object is forgotten once it has.
func (c *ConsistentClient) stale(k objectKey, obj client.Object, err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.written[k]
	switch {
	case !ok:
		return false
	case kerrors.IsNotFound(err):
		return w.created
	case err != nil:
		return false
	case w.superseded[obj.GetResourceVersion()]:
		return true
	}
	delete(c.written, k)
	return false
}

// prune forgets writes too old to wait for, such as those of objects that were deleted since.
func (c *ConsistentClient) prune(now time.Time) {
	if now.Sub(c.pruned) < catchUpTimeout {
		return
	}
	c.pruned = now
	for k, w := range c.written {
		if now.Sub(w.at) > catchUpTimeout {
			delete(c.written, k)
		}
	}
}
