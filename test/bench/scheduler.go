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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// A binder stands in for kube-scheduler: it binds every Pod that fits the fake Node to it, as fast as its
// workers can, so that scheduling costs the floor and the NodePods the same.
type binder struct {
	cs    kubernetes.Interface
	node  *corev1.Node
	queue chan *corev1.Pod
	logf  func(string, ...any)

	mu     sync.Mutex
	queued map[types.UID]bool
}

// newBinder starts workers that bind Pods offered to it until ctx is done.
func newBinder(ctx context.Context, cs kubernetes.Interface, node *corev1.Node, workers int, logf func(string, ...any)) *binder {
	b := &binder{cs: cs, node: node, queue: make(chan *corev1.Pod, 1<<16), queued: map[types.UID]bool{}, logf: logf}
	for range workers {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-b.queue:
					b.bind(ctx, p)
				}
			}
		}()
	}
	return b
}

// offer queues p for binding when it is unscheduled, alive and fits the node. It is called from a watch's
// event handler and does not block it.
func (b *binder) offer(p *corev1.Pod) {
	if p.Spec.NodeName != "" || p.DeletionTimestamp != nil || !fits(p, b.node) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queued[p.UID] {
		return
	}
	b.queued[p.UID] = true
	b.queue <- p
}

func (b *binder) bind(ctx context.Context, p *corev1.Pod) {
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: b.node.Name},
	}
	var err error
	for range 5 {
		err = b.cs.CoreV1().Pods(p.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
		if err == nil || kerrors.IsNotFound(err) || kerrors.IsConflict(err) || ctx.Err() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.logf("cannot bind Pod %s/%s to %s: %v", p.Namespace, p.Name, b.node.Name, err)
}

// fits reports whether p may run on node: its nodeSelector matches and it tolerates the node's taints.
func fits(p *corev1.Pod, node *corev1.Node) bool {
	if !labels.SelectorFromSet(p.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	for _, taint := range node.Spec.Taints {
		if taint.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !tolerated(p.Spec.Tolerations, taint) {
			return false
		}
	}
	return true
}

func tolerated(ts []corev1.Toleration, taint corev1.Taint) bool {
	for _, t := range ts {
		if t.Effect != "" && t.Effect != taint.Effect {
			continue
		}
		if t.Key == "" && t.Operator == corev1.TolerationOpExists {
			return true
		}
		if t.Key != taint.Key {
			continue
		}
		if t.Operator == corev1.TolerationOpExists || t.Value == taint.Value {
			return true
		}
	}
	return false
}
