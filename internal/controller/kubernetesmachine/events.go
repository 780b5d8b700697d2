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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
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

// failureDomainsChanged passes the KubernetesCluster updates that change its failure domains, declared or
// discovered: a Machine that waits for its failure domain, or whose domain now selects other Nodes, is
// reconciled again. A KubernetesCluster that appears is no news: every KubernetesMachine is reconciled when
// the controller starts, and none is placed before its cluster's infrastructure is provisioned.
type failureDomainsChanged struct {
	predicate.Funcs
}

func (failureDomainsChanged) Create(event.CreateEvent) bool { return false }

func (failureDomainsChanged) Delete(event.DeleteEvent) bool { return false }

func (failureDomainsChanged) Generic(event.GenericEvent) bool { return false }

func (failureDomainsChanged) Update(e event.UpdateEvent) bool {
	o, ok1 := e.ObjectOld.(*infrav1.KubernetesCluster)
	n, ok2 := e.ObjectNew.(*infrav1.KubernetesCluster)
	if !ok1 || !ok2 {
		return false
	}
	return !equality.Semantic.DeepEqual(o.Spec.FailureDomains, n.Spec.FailureDomains) ||
		!equality.Semantic.DeepEqual(o.Status.FailureDomains, n.Status.FailureDomains)
}

// kubernetesClusterToMachines maps a KubernetesCluster to the KubernetesMachines of its Cluster, which
// Cluster API names in the cluster-name label it puts on the KubernetesCluster.
func kubernetesClusterToMachines(clusterToMachines handler.MapFunc) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		name := o.GetLabels()[clusterv1.ClusterNameLabel]
		if name == "" {
			return nil
		}
		return clusterToMachines(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: o.GetNamespace(), Name: name}})
	}
}
