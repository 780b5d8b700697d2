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

package kubernetesmachine

import (
	"context"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

// nodePodChanged passes the NodePod events that can change what a KubernetesMachine's reconcile does: a
// NodePod created or deleted, its spec, labels or owners changed (the reconcile puts them back as the Machine
// asks), its deletion begun, or a change of what the KubernetesMachine shows of it. The NodePod's controller
// writes it several times on the way to Ready in ways no KubernetesMachine shows (its finalizer, the
// annotations that record a create, the times of its conditions), and each would cost a reconcile.
func nodePodChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, shownChanged{})
}

// shownChanged passes updates that change a NodePod's owners, its deletion or what a KubernetesMachine shows
// of it.
type shownChanged struct {
	predicate.Funcs
}

func (shownChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*kindnodev1alpha1.NodePod)
	n, ok2 := e.ObjectNew.(*kindnodev1alpha1.NodePod)
	if !ok1 || !ok2 {
		return true
	}
	return !o.DeletionTimestamp.Equal(n.DeletionTimestamp) ||
		!equality.Semantic.DeepEqual(o.OwnerReferences, n.OwnerReferences) ||
		shown(o) != shown(n)
}

// nodePodView is what reconcileNormal and mirror read of a NodePod's status.
type nodePodView struct {
	ready, synced, bootstrapped condition
	podName, podIP, providerID  string
}

// condition is a NodePod condition without its times, which no KubernetesMachine shows.
type condition struct {
	status, reason, message string
}

func shown(np *kindnodev1alpha1.NodePod) nodePodView {
	c := func(t xpv2.ConditionType) condition {
		got := np.Status.GetCondition(t)
		return condition{status: string(got.Status), reason: string(got.Reason), message: got.Message}
	}
	obs := np.Status.AtProvider
	return nodePodView{
		ready: c(xpv2.TypeReady), synced: c(xpv2.TypeSynced), bootstrapped: c(kindnodev1alpha1.TypeBootstrapped),
		podName: obs.PodName, podIP: obs.PodIP, providerID: obs.ProviderID,
	}
}

// readyFirst enqueues, through h, the KubernetesMachine of a NodePod whose node turned ready or not, or
// finished its bootstrap, ahead of the controller's queue: that is the news Cluster API waits for, and a
// backlog of new KubernetesMachines, each a NodePod to create, would hold it back.
func readyFirst(h handler.EventHandler) handler.EventHandler {
	return readyFirstHandler{EventHandler: h}
}

type readyFirstHandler struct {
	handler.EventHandler
}

func (h readyFirstHandler) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	o, ok1 := e.ObjectOld.(*kindnodev1alpha1.NodePod)
	n, ok2 := e.ObjectNew.(*kindnodev1alpha1.NodePod)
	if ok1 && ok2 {
		was, is := shown(o), shown(n)
		if was.ready.status != is.ready.status || was.bootstrapped.status != is.bootstrapped.status {
			q = clients.AtPriority(q, clients.OuterChangePriority)
		}
	}
	h.EventHandler.Update(ctx, e, q)
}
