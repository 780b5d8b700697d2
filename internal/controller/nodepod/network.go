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
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

// The outer cluster cannot see whether an inner node reaches its peers: the node Pod is Running and Ready
// while the overlay between it and the others drops every packet. The node knows (kindnode-net probes its
// peers, see package nodenet) and serves its verdict on the node's address; a networkWatcher reads it through
// the outer cluster's pods/proxy, which needs no route from the provider to the Pod, every interval, and asks
// for a reconcile when it changes.

const (
	// networkInterval is how often each node's network status is read. The node itself only calls a peer
	// unreachable after 90 seconds; reading more often would not tell sooner.
	networkInterval = 30 * time.Second
	// networkTimeout bounds one read; the API server dials the Pod on the provider's behalf.
	networkTimeout = 5 * time.Second
)

// A networkGetter reads a node's network status: the body kindnode-net serves.
type networkGetter func(ctx context.Context) ([]byte, error)

// +kubebuilder:rbac:groups="",resources=pods/proxy,verbs=get

// proxyGetter reads the network status of a node Pod through the outer cluster's pods/proxy.
func proxyGetter(pods corev1client.PodInterface, name string) networkGetter {
	return func(ctx context.Context) ([]byte, error) {
		return pods.ProxyGet("http", name, strconv.Itoa(nodenet.StatusPort), nodenet.StatusPath, nil).DoRaw(ctx)
	}
}

// A networkReport is what the watcher knows of one node's network.
type networkReport struct {
	// answered is set once the node's Pod has reported its network.
	answered bool
	// status is the last report.
	status nodenet.Status
	// err is why the last read failed after the node had answered; nil when it did not fail.
	err error
}

// changed tells whether a report tells something other than r.
func (r networkReport) changed(o networkReport) bool {
	return r.answered != o.answered || r.status != o.status || (r.err == nil) != (o.err == nil)
}

type networkRead struct {
	uid    types.UID
	cancel context.CancelFunc
	report networkReport
}

// A networkWatcher reads the network status of the nodes it is told to watch, each in its own goroutine.
type networkWatcher struct {
	// lifetime, the manager's, is that of the reads.
	lifetime
	notify   func(types.NamespacedName)
	interval time.Duration

	mu    sync.Mutex
	reads map[types.NamespacedName]*networkRead
}

func newNetworkWatcher(notify func(types.NamespacedName), interval time.Duration) *networkWatcher {
	return &networkWatcher{notify: notify, interval: interval, reads: map[types.NamespacedName]*networkRead{}}
}

// watch makes sure the Pod uid of NodePod nn is read with get, and returns what is known of it. A new Pod
// starts afresh.
func (w *networkWatcher) watch(nn types.NamespacedName, uid types.UID, get networkGetter) networkReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.reads[nn]; ok {
		if r.uid == uid {
			return r.report
		}
		r.cancel()
	}
	ctx, cancel := context.WithCancel(w.context())
	r := &networkRead{uid: uid, cancel: cancel}
	w.reads[nn] = r
	go w.read(ctx, nn, r, get)
	return r.report
}

// forget stops reading NodePod nn's node.
func (w *networkWatcher) forget(nn types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.reads[nn]; ok {
		r.cancel()
		delete(w.reads, nn)
	}
}

func (w *networkWatcher) read(ctx context.Context, nn types.NamespacedName, r *networkRead, get networkGetter) {
	for {
		// Spread over the interval, so that a thousand nodes made at once are not read at once. The first read
		// waits too: a node just bootstrapped has not run its pod network, let alone probed its peers.
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.interval/2 + rand.N(w.interval)): //nolint:gosec // Jitter, not a secret.
		}
		rctx, cancel := context.WithTimeout(ctx, networkTimeout)
		body, err := get(rctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		next := r.report.after(body, err)
		changed := next.changed(r.report)
		r.report = next
		w.mu.Unlock()
		if changed {
			w.notify(nn)
		}
	}
}

// after returns what is known once a read returned body and err.
func (r networkReport) after(body []byte, err error) networkReport {
	s, perr := parseNetwork(body, err)
	switch {
	case perr == nil:
		return networkReport{answered: true, status: s}
	case !r.answered:
		// Nothing said yet: the network may not run yet, or this outer cluster refuses pods/proxy. Neither is
		// worth a condition that would only say "unknown".
		return r
	default:
		r.err = perr
		return r
	}
}

// parseNetwork reads what the node answered. A node that has not finished its first probe round answers 503.
func parseNetwork(body []byte, err error) (nodenet.Status, error) {
	if err != nil {
		if kerrors.IsServiceUnavailable(err) {
			return nodenet.Status{}, fmt.Errorf("the node has not probed its peers yet")
		}
		return nodenet.Status{}, fmt.Errorf("cannot read the node's network status on port %d through pods/proxy: %w", nodenet.StatusPort, err)
	}
	var s nodenet.Status
	if err := json.Unmarshal(body, &s); err != nil {
		return nodenet.Status{}, fmt.Errorf("cannot decode the node's network status: %w", err)
	}
	return s, nil
}

func networkReady(s corev1.ConditionStatus, r xpv2.ConditionReason, msg string) xpv2.Condition {
	return xpv2.Condition{Type: v1alpha1.TypeNetworkReady, Status: s, Reason: r, Message: msg, LastTransitionTime: metav1.Now()}
}

// observeNetwork reports what the node says of its pod network, once it runs the default one.
func (e *external) observeNetwork(cr *v1alpha1.NodePod, pod *corev1.Pod) {
	nn := types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()}
	if cr.Spec.ForProvider.DisableDefaultCNI || !bootstrapDone(cr) || !kindnode.NodeContainerRunning(pod) || pod.Status.PodIP == "" || pod.GetDeletionTimestamp() != nil {
		e.net.forget(nn)
		unreported(cr)
		return
	}
	r := e.net.watch(nn, pod.UID, proxyGetter(e.outer.Core.Pods(pod.Namespace), pod.Name))
	switch {
	case !r.answered:
		unreported(cr)
	case r.err != nil:
		cr.Status.SetConditions(networkReady(corev1.ConditionUnknown, v1alpha1.ReasonNetworkUnknown, r.err.Error()))
	case r.status.NetworkUnavailable:
		cr.Status.SetConditions(networkReady(corev1.ConditionFalse, v1alpha1.ReasonNetworkUnavailable, r.status.Message))
	default:
		// Without the node's message, which counts its peers: a node joining would rewrite every status.
		cr.Status.SetConditions(networkReady(corev1.ConditionTrue, v1alpha1.ReasonNetworkAvailable, ""))
	}
}

// unreported leaves a NodePod whose current node has not reported its network, or is not asked, without the
// verdict about an earlier one: a network reported broken on a Pod since replaced would keep Ready False.
func unreported(cr *v1alpha1.NodePod) {
	if c := cr.GetCondition(v1alpha1.TypeNetworkReady); c.Reason != "" && c.Status != corev1.ConditionUnknown {
		cr.Status.SetConditions(networkReady(corev1.ConditionUnknown, v1alpha1.ReasonNetworkUnknown, "the node Pod has not reported its pod network"))
	}
}
