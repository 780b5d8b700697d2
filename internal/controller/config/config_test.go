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

package config

import (
	"context"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

func usage(name, kind string) *v1alpha1.ProviderConfigUsage {
	return &v1alpha1.ProviderConfigUsage{
		ObjectMeta:               metav1.ObjectMeta{Namespace: "ns", Name: name},
		TypedProviderConfigUsage: xpv2.TypedProviderConfigUsage{ProviderConfigReference: xpv2.ProviderConfigReference{Kind: kind, Name: "default"}},
	}
}

func TestDebounced(t *testing.T) {
	const after = 100 * time.Millisecond
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	h := debounced{inner: &resource.EnqueueRequestForProviderConfig{Kind: v1alpha1.ClusterProviderConfigKind}, after: after}

	// A burst of usages of one config, and one of a kind this handler does not serve.
	start := time.Now()
	for _, n := range []string{"a", "b", "c"} {
		h.Create(context.Background(), event.CreateEvent{Object: usage(n, v1alpha1.ClusterProviderConfigKind)}, q)
	}
	h.Delete(context.Background(), event.DeleteEvent{Object: usage("a", v1alpha1.ClusterProviderConfigKind)}, q)
	h.Create(context.Background(), event.CreateEvent{Object: usage("d", v1alpha1.ProviderConfigKind)}, q)
	if q.Len() != 0 {
		t.Errorf("%d requests enqueued at once, want none before %s", q.Len(), after)
	}

	// A marker due after everything the burst may have scheduled: the delaying queue hands out what is due
	// in the order it falls due, so every request of the burst comes out before the marker does.
	marker := reconcile.Request{NamespacedName: types.NamespacedName{Name: "marker"}}
	q.AddAfter(marker, 2*after)

	var got []reconcile.Request
	for {
		req, ok := testenv.GetWithin(q, 30*time.Second)
		if !ok {
			t.Fatalf("no marker within 30s; got %v", got)
		}
		q.Done(req)
		if req == marker {
			break
		}
		if waited := time.Since(start); waited < after {
			t.Errorf("request enqueued after %s, want at least %s", waited, after)
		}
		got = append(got, req)
	}
	if diff := cmp.Diff([]reconcile.Request{{NamespacedName: types.NamespacedName{Name: "default"}}}, got); diff != "" {
		t.Errorf("the burst makes one request: -want, +got:\n%s", diff)
	}
}
