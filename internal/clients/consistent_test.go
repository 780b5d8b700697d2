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
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// laggingCache is a fake API server whose reads, like a manager's cache, show an object as it was a given
// number of reads after each write.
type laggingCache struct {
	client.Client

	mu     sync.Mutex
	stale  client.Object // what reads return while lag lasts
	lag    int           // reads left that return stale
	writes []string      // what reached the API server: verb and subresource
}

func newLaggingCache(t *testing.T, objs ...client.Object) *laggingCache {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	lc := &laggingCache{}
	lc.Client = fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&corev1.Pod{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				lc.mu.Lock()
				defer lc.mu.Unlock()
				if lc.lag > 0 && lc.stale != nil {
					lc.lag--
					return c.Scheme().Convert(lc.stale, obj, nil)
				}
				return c.Get(ctx, key, obj, opts...)
			},
			Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
				lc.note("update", c, obj)
				return c.Update(ctx, obj, opts...)
			},
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				lc.note("update/"+sub, c, obj)
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		}).Build()
	return lc
}

// note records a write and makes the next lag reads return the object as it was before it.
func (lc *laggingCache) note(verb string, c client.Client, obj client.Object) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.writes = append(lc.writes, verb)
	before, _ := obj.DeepCopyObject().(client.Object)
	_ = c.Get(context.Background(), client.ObjectKeyFromObject(obj), before)
	lc.stale = before
}

func (lc *laggingCache) lagFor(reads int) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.lag = reads
}

func (lc *laggingCache) sent() []string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return append([]string(nil), lc.writes...)
}

func pod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Labels: map[string]string{"a": "1"}}}
}

func TestClientReadsItsWrites(t *testing.T) {
	cases := map[string]struct {
		reason string
		lag    int
		want   string
	}{
		"CacheCaughtUp": {
			reason: "A read after the cache saw the write returns the write.",
			lag:    0,
			want:   "2",
		},
		"CacheBehind": {
			reason: "A read while the cache still shows the object as it was before the write waits until it shows the write.",
			lag:    5,
			want:   "2",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lc := newLaggingCache(t, pod())
			c := NewConsistentClient(lc)
			p := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, p); err != nil {
				t.Fatal(err)
			}
			p.Labels["a"] = "2"
			if err := c.Update(ctx, p); err != nil {
				t.Fatal(err)
			}
			lc.lagFor(tc.lag)

			got := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Labels["a"]); diff != "" {
				t.Errorf("%s\nGet(...): label a: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestClientGivesUpWaiting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	lc := newLaggingCache(t, pod())
	c := NewConsistentClient(lc)
	p := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, p); err != nil {
		t.Fatal(err)
	}
	p.Labels["a"] = "2"
	if err := c.Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	lc.lagFor(1 << 30)

	got := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, got); err != nil {
		t.Fatalf("Get(...): %v", err)
	}
	// A cache that does not catch up in time yields what it has: the write based on it fails with a conflict
	// as it would have without the wait.
	if diff := cmp.Diff("1", got.Labels["a"]); diff != "" {
		t.Errorf("Get(...) with a cache that never catches up: label a: -want, +got:\n%s", diff)
	}
}

func TestClientSkipsWritesThatChangeNothing(t *testing.T) {
	cases := map[string]struct {
		reason string
		change func(p *corev1.Pod)
		write  func(ctx context.Context, c client.Client, p *corev1.Pod) error
		want   []string
	}{
		"UpdateUnchanged": {
			reason: "An update of an object as the cache holds it is not sent.",
			change: func(*corev1.Pod) {},
			write:  func(ctx context.Context, c client.Client, p *corev1.Pod) error { return c.Update(ctx, p) },
			want:   nil,
		},
		"UpdateChanged": {
			reason: "An update that changes the object is sent.",
			change: func(p *corev1.Pod) { p.Labels["a"] = "2" },
			write:  func(ctx context.Context, c client.Client, p *corev1.Pod) error { return c.Update(ctx, p) },
			want:   []string{"update"},
		},
		"UpdateChangesStatusOnly": {
			reason: "An update ignores the status, so one that changes only the status changes nothing.",
			change: func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning },
			write:  func(ctx context.Context, c client.Client, p *corev1.Pod) error { return c.Update(ctx, p) },
			want:   nil,
		},
		"StatusUnchanged": {
			reason: "A status update that keeps the status is not sent.",
			change: func(p *corev1.Pod) { p.Labels["a"] = "2" },
			write:  func(ctx context.Context, c client.Client, p *corev1.Pod) error { return c.Status().Update(ctx, p) },
			want:   nil,
		},
		"StatusChanged": {
			reason: "A status update that changes the status is sent.",
			change: func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning },
			write:  func(ctx context.Context, c client.Client, p *corev1.Pod) error { return c.Status().Update(ctx, p) },
			want:   []string{"update/status"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			lc := newLaggingCache(t, pod())
			c := NewConsistentClient(lc)
			p := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, p); err != nil {
				t.Fatal(err)
			}
			tc.change(p)
			if err := tc.write(ctx, c, p); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, lc.sent()); diff != "" {
				t.Errorf("%s\nwrites sent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
