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

package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// What the recorder sees happen to an object.
type happening int

const (
	becameReady happening = iota
	wentAway
)

// A key names one object the recorder follows.
type key struct {
	kind      string
	namespace string
	name      string
}

// A recorder notes, from the harness's own watches, when each Pod and NodePod first became Ready and when it
// was gone. Every duration the harness reports is a difference of such times, or of one and the moment the
// harness sent its first request.
type recorder struct {
	mu   sync.Mutex
	seen map[happening]map[key]time.Time
}

func newRecorder() *recorder {
	return &recorder{seen: map[happening]map[key]time.Time{becameReady: {}, wentAway: {}}}
}

// watch records the Pods and NodePods of ca, and its KubernetesMachines when machines is set, and offers
// every Pod to schedule.
func (r *recorder) watch(ctx context.Context, ca cache.Cache, machines bool, schedule func(*corev1.Pod)) error {
	pods, err := ca.GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return err
	}
	onPod := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		schedule(p)
		if p.DeletionTimestamp == nil && podReady(p) {
			r.note(becameReady, key{"Pod", p.Namespace, p.Name})
		}
	}
	if _, err := pods.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    onPod,
		UpdateFunc: func(_, obj any) { onPod(obj) },
		DeleteFunc: func(obj any) { r.gone("Pod", obj) },
	}); err != nil {
		return err
	}

	nps, err := ca.GetInformer(ctx, &v1alpha1.NodePod{})
	if err != nil {
		return err
	}
	onNodePod := func(obj any) {
		np, ok := obj.(*v1alpha1.NodePod)
		if ok && np.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
			r.note(becameReady, key{"NodePod", np.Namespace, np.Name})
		}
	}
	if _, err := nps.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    onNodePod,
		UpdateFunc: func(_, obj any) { onNodePod(obj) },
		DeleteFunc: func(obj any) { r.gone("NodePod", obj) },
	}); err != nil || !machines {
		return err
	}

	kms, err := ca.GetInformer(ctx, &infrav1.KubernetesMachine{})
	if err != nil {
		return err
	}
	// A KubernetesMachine counts as Ready once it is provisioned, what Cluster API's Machine controller waits
	// for.
	onMachine := func(obj any) {
		km, ok := obj.(*infrav1.KubernetesMachine)
		if ok && km.DeletionTimestamp == nil && ptr.Deref(km.Status.Initialization.Provisioned, false) {
			r.note(becameReady, key{"KubernetesMachine", km.Namespace, km.Name})
		}
	}
	_, err = kms.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    onMachine,
		UpdateFunc: func(_, obj any) { onMachine(obj) },
		DeleteFunc: func(obj any) { r.gone("KubernetesMachine", obj) },
	})
	return err
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (r *recorder) gone(kind string, obj any) {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if o, ok := obj.(client.Object); ok {
		r.note(wentAway, key{kind, o.GetNamespace(), o.GetName()})
	}
}

// note records that h happened to k now, unless it was seen before.
func (r *recorder) note(h happening, k key) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.seen[h][k]; !ok {
		r.seen[h][k] = now
	}
}

// at is when h happened to k.
func (r *recorder) at(h happening, k key) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.seen[h][k]
	return t, ok
}

// count is how many of keys h happened to.
func (r *recorder) count(h happening, keys []key) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, k := range keys {
		if _, ok := r.seen[h][k]; ok {
			n++
		}
	}
	return n
}

// waitAll waits until h happened to every one of keys and returns when it last did. On timeout it returns a
// key it did not happen to.
func (r *recorder) waitAll(ctx context.Context, h happening, keys []key, timeout time.Duration) (time.Time, key, error) {
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		last, missing, ok := r.last(h, keys)
		if ok {
			return last, key{}, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, missing, ctx.Err()
		case <-deadline:
			what := map[happening]string{becameReady: "became Ready", wentAway: "were gone"}[h]
			return time.Time{}, missing, fmt.Errorf("only %d of %d %ss %s within %s; %s/%s did not",
				r.count(h, keys), len(keys), missing.kind, what, timeout, missing.namespace, missing.name)
		case <-tick.C:
		}
	}
}

// last is the latest time h happened to one of keys; ok is false, and missing names one, while it has not
// happened to all of them.
func (r *recorder) last(h happening, keys []key) (last time.Time, missing key, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		t, seen := r.seen[h][k]
		if !seen {
			return time.Time{}, k, false
		}
		if t.After(last) {
			last = t
		}
	}
	return last, key{}, true
}
