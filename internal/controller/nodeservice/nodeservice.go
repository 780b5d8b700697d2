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

// Package nodeservice reconciles NodeServices: the Service that is an inner cluster's control-plane endpoint.
package nodeservice

import (
	"context"
	"fmt"
	"strconv"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errGetService    = "cannot get the endpoint Service"
	errCreateService = "cannot create the endpoint Service"
	errUpdateService = "cannot update the endpoint Service"
	errDeleteService = "cannot delete the endpoint Service"
	errListNodePods  = "cannot list the cluster's NodePods"
	errForeign       = "a Service named %s/%s exists in the outer cluster but does not belong to this NodeService; rename the NodeService or remove that Service"

	errGetBudget     = "cannot get the control-plane PodDisruptionBudget"
	errCreateBudget  = "cannot create the control-plane PodDisruptionBudget"
	errUpdateBudget  = "cannot update the control-plane PodDisruptionBudget"
	errDeleteBudget  = "cannot delete the control-plane PodDisruptionBudget"
	errForeignBudget = "a PodDisruptionBudget named %s/%s exists in the outer cluster but does not belong to this NodeService; remove it or disable forProvider.controlPlaneDisruptionBudget"
)

// +kubebuilder:rbac:groups=kindnode.dev,resources=nodeservices,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodeservices/status,verbs=update
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods,verbs=get;list;watch

// Setup adds a controller that reconciles NodeServices. Its managed reconciler reads NodeServices and writes
// their finalizer, annotations and status; a NodePod event wakes the NodeService of its cluster, whose
// NodePods the disruption budget counts.
func Setup(mgr ctrl.Manager, o controller.Options, clusters *clients.Registry) error {
	c, err := reconciler.NewManagedController(mgr, o, v1alpha1.NodeServiceGroupVersionKind, func(kube client.Client) managed.TypedExternalConnector[*v1alpha1.NodeService] {
		return &connector{
			kube:     kube,
			usage:    resource.NewProviderConfigUsageTracker(kube, &apisv1alpha1.ProviderConfigUsage{}),
			clusters: clusters,
		}
	})
	if err != nil {
		return err
	}
	return c.Builder.
		WatchesRawSource(clusters.Source(v1alpha1.NodeServiceKind)).
		// A control-plane NodePod more or less moves the quorum the disruption budget keeps.
		Watches(&v1alpha1.NodePod{}, handler.EnqueueRequestsFromMapFunc(nodePodToNodeServices(mgr.GetClient()))).
		Complete(ratelimiter.NewReconciler(c.Name, c.Reconciler, o.GlobalRateLimiter))
}

type connector struct {
	kube     client.Client
	usage    *resource.ProviderConfigUsageTracker
	clusters *clients.Registry
}

func (c *connector) Connect(ctx context.Context, cr *v1alpha1.NodeService) (managed.TypedExternalClient[*v1alpha1.NodeService], error) {
	outer, err := c.clusters.Connect(ctx, c.kube, c.usage, cr)
	switch {
	case err != nil:
		return nil, err
	case outer == nil:
		return clients.Nothing[*v1alpha1.NodeService]{}, nil
	}
	return &external{kube: c.kube, outer: outer}, nil
}

type external struct {
	kube  client.Client
	outer *clients.Cluster
}

func endpoint(cr *v1alpha1.NodeService) kindnode.Endpoint {
	ns := cr.Spec.ForProvider.Namespace
	if ns == "" {
		ns = cr.GetNamespace()
	}
	return kindnode.Endpoint{
		Name:      meta.GetExternalName(cr),
		Namespace: ns,
		Owner:     kindnode.Owner{Kind: v1alpha1.NodeServiceKind, Name: cr.GetName(), Namespace: cr.GetNamespace()},
		Params:    cr.Spec.ForProvider,
	}
}

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete

// desired is the endpoint Service of cr, which Observe reads, Create creates, Update patches or updates and
// Delete deletes in the outer cluster; the outer cluster's informer lists and watches the provider's own.
func desired(cr *v1alpha1.NodeService) *corev1.Service {
	svc := kindnode.BuildService(endpoint(cr))
	kindnode.RecordManagedMetadata(svc)
	return svc
}

// desiredBudget is the control-plane PodDisruptionBudget cr asks for, nil when it asks for none.
func (e *external) desiredBudget(ctx context.Context, cr *v1alpha1.NodeService) (*policyv1.PodDisruptionBudget, error) {
	n, err := controlPlaneNodes(ctx, e.kube, cr.GetNamespace(), cr.Spec.ForProvider.ClusterName)
	if err != nil {
		return nil, err
	}
	pdb := kindnode.BuildDisruptionBudget(endpoint(cr), n)
	if pdb != nil {
		kindnode.RecordManagedMetadata(pdb)
	}
	return pdb, nil
}

// controlPlaneNodes counts the control-plane NodePods of cluster in namespace: how many control-plane nodes
// the cluster should have, whatever number of their Pods run right now, so that evictions do not lower the
// quorum they are measured against.
func controlPlaneNodes(ctx context.Context, kube client.Client, namespace, cluster string) (int32, error) {
	l := &v1alpha1.NodePodList{}
	if err := kube.List(ctx, l, client.InNamespace(namespace)); err != nil {
		return 0, errors.Wrap(err, errListNodePods)
	}
	var n int32
	for _, np := range l.Items {
		if np.Spec.ForProvider.ClusterName == cluster && np.Spec.ForProvider.Role == v1alpha1.NodeRoleControlPlane && np.DeletionTimestamp.IsZero() {
			n++
		}
	}
	return n, nil
}

// nodePodToNodeServices maps a NodePod to the NodeServices of its cluster, whose budgets count it. A map
// function cannot return an error: one that cannot list says so in the log, and the budgets are counted again
// at the next poll.
func nodePodToNodeServices(kube client.Client) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		np, ok := o.(*v1alpha1.NodePod)
		if !ok || np.Spec.ForProvider.Role != v1alpha1.NodeRoleControlPlane {
			return nil
		}
		l := &v1alpha1.NodeServiceList{}
		if err := kube.List(ctx, l, client.InNamespace(np.Namespace)); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "cannot list the NodeServices whose disruption budget counts a control-plane NodePod; they count it again at their next poll",
				"nodePod", client.ObjectKeyFromObject(np))
			return nil
		}
		var reqs []reconcile.Request
		for _, s := range l.Items {
			if s.Spec.ForProvider.ClusterName == np.Spec.ForProvider.ClusterName {
				reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: s.Namespace, Name: s.Name}})
			}
		}
		return reqs
	}
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.NodeService) (managed.ExternalObservation, error) {
	ep := endpoint(cr)
	pdb, err := e.getBudget(ctx, ep)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	svc := &corev1.Service{}
	if err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}, svc); err != nil {
		if kerrors.IsNotFound(err) {
			// A budget left behind by a Delete that removed only the Service still needs a Delete.
			return managed.ExternalObservation{ResourceExists: meta.WasDeleted(cr) && pdb != nil}, nil
		}
		return managed.ExternalObservation{}, errors.Wrap(err, errGetService)
	}
	if o, ok := kindnode.OwnerFromLabels(svc.GetLabels()); !ok || o != ep.Owner {
		return managed.ExternalObservation{}, errors.Errorf(errForeign, svc.Namespace, svc.Name)
	}
	cr.Status.AtProvider = kindnode.ObserveService(svc)
	if pdb != nil {
		cr.Status.AtProvider.DisruptionBudget = pdb.Name
	}
	if meta.WasDeleted(cr) {
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}

	want, err := e.desiredBudget(ctx, cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	upToDate := specUpToDate(svc, desired(cr)) && budgetUpToDate(pdb, want)
	host, port, ok := kindnode.EndpointAddress(svc)
	if !ok {
		cr.Status.SetConditions(xpv2.Unavailable().WithMessage(waitingForAddress(svc)))
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: upToDate}, nil
	}
	cr.Status.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: upToDate,
		ConnectionDetails: managed.ConnectionDetails{
			"endpoint": []byte(host),
			"port":     []byte(strconv.Itoa(int(port))),
		},
	}, nil
}

// waitingForAddress says what the endpoint Service svc, which has no address yet, waits for. A LoadBalancer
// Service gets its address from a load-balancer controller, which many outer clusters do not run: then it
// never gets one, and the outer cluster says nothing about it.
func waitingForAddress(svc *corev1.Service) string {
	name := svc.Namespace + "/" + svc.Name
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return "waiting for the outer cluster to give Service " + name + " an address"
	}
	controller := "a load-balancer controller (a cloud provider's, MetalLB, kube-vip, cloud-provider-kind)"
	if c := svc.Spec.LoadBalancerClass; c != nil {
		controller = fmt.Sprintf("the load-balancer controller of loadBalancerClass %q", *c)
	}
	return fmt.Sprintf("waiting for a load balancer to give LoadBalancer Service %s an address (its status.loadBalancer.ingress is empty): "+
		"the outer cluster must run %s; without one, set spec.forProvider.type to ClusterIP or NodePort", name, controller)
}

// specUpToDate compares what the provider sets on a Service; the outer cluster fills in the rest.
func specUpToDate(current, want *corev1.Service) bool {
	if !kindnode.MetadataUpToDate(current, want) {
		return false
	}
	merged := current.DeepCopy()
	applySpec(merged, want)
	return equality.Semantic.DeepEqual(current.Spec, merged.Spec)
}

// applySpec copies the fields the provider owns from want to svc.
func applySpec(svc, want *corev1.Service) {
	svc.Spec.Type = want.Spec.Type
	svc.Spec.Selector = want.Spec.Selector
	if want.Spec.LoadBalancerClass != nil {
		svc.Spec.LoadBalancerClass = want.Spec.LoadBalancerClass
	}
	ports := make([]corev1.ServicePort, len(want.Spec.Ports))
	for i, p := range want.Spec.Ports {
		// Keep the node port the outer cluster allocated unless forProvider asks for a fixed one.
		if p.NodePort == 0 && svc.Spec.Type != corev1.ServiceTypeClusterIP {
			for _, cp := range svc.Spec.Ports {
				if cp.Name == p.Name {
					p.NodePort = cp.NodePort
				}
			}
		}
		ports[i] = p
	}
	svc.Spec.Ports = ports
}

// getBudget returns the control-plane PodDisruptionBudget of ep, nil when there is none.
func (e *external) getBudget(ctx context.Context, ep kindnode.Endpoint) (*policyv1.PodDisruptionBudget, error) {
	pdb := &policyv1.PodDisruptionBudget{}
	err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: ep.Namespace, Name: kindnode.DisruptionBudgetName(ep.Name)}, pdb)
	if kerrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errGetBudget)
	}
	if o, ok := kindnode.OwnerFromLabels(pdb.GetLabels()); !ok || o != ep.Owner {
		return nil, errors.Errorf(errForeignBudget, pdb.Namespace, pdb.Name)
	}
	return pdb, nil
}

// budgetUpToDate reports whether the observed budget (nil: none) is the wanted one (nil: none wanted).
func budgetUpToDate(current, want *policyv1.PodDisruptionBudget) bool {
	if current == nil || want == nil {
		return current == want
	}
	return kindnode.MetadataUpToDate(current, want) && equality.Semantic.DeepEqual(current.Spec, want.Spec)
}

// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete

// syncBudget creates, updates or deletes the control-plane PodDisruptionBudget to match what cr asks for;
// the outer cluster's informer lists and watches the provider's own.
func (e *external) syncBudget(ctx context.Context, cr *v1alpha1.NodeService) error {
	current, err := e.getBudget(ctx, endpoint(cr))
	if err != nil {
		return err
	}
	want, err := e.desiredBudget(ctx, cr)
	if err != nil {
		return err
	}
	switch {
	case current == nil && want == nil:
		return nil
	case current == nil:
		// The cache may not have seen a budget created moments ago.
		err := e.outer.Client.Create(ctx, want)
		return errors.Wrap(resource.Ignore(kerrors.IsAlreadyExists, err), errCreateBudget)
	case want == nil:
		return errors.Wrap(resource.Ignore(kerrors.IsNotFound, e.outer.Client.Delete(ctx, current)), errDeleteBudget)
	}
	if patch, changed := kindnode.MetadataPatch(current, want); changed {
		if err := e.outer.Client.Patch(ctx, current, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return errors.Wrap(err, errUpdateBudget)
		}
	}
	if equality.Semantic.DeepEqual(current.Spec, want.Spec) {
		return nil
	}
	current.Spec = want.Spec
	return errors.Wrap(e.outer.Client.Update(ctx, current), errUpdateBudget)
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.NodeService) (managed.ExternalCreation, error) {
	cr.Status.SetConditions(xpv2.Creating())
	if err := e.outer.Client.Create(ctx, desired(cr)); resource.Ignore(kerrors.IsAlreadyExists, err) != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errCreateService)
	}
	return managed.ExternalCreation{}, e.syncBudget(ctx, cr)
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.NodeService) (managed.ExternalUpdate, error) {
	ep := endpoint(cr)
	svc := &corev1.Service{}
	if err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}, svc); err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(err, errGetService)
	}
	want := desired(cr)
	if patch, changed := kindnode.MetadataPatch(svc, want); changed {
		if err := e.outer.Client.Patch(ctx, svc, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(err, errUpdateService)
		}
	}
	applySpec(svc, want)
	if err := e.outer.Client.Update(ctx, svc); err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(err, errUpdateService)
	}
	return managed.ExternalUpdate{}, e.syncBudget(ctx, cr)
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.NodeService) (managed.ExternalDelete, error) {
	cr.Status.SetConditions(xpv2.Deleting())
	ep := endpoint(cr)
	// The budget goes first so that a Service that is gone means both are; Observe still reports a budget the
	// cache had not seen yet here.
	pdb, err := e.getBudget(ctx, ep)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if pdb != nil {
		if err := e.outer.Client.Delete(ctx, pdb); resource.Ignore(kerrors.IsNotFound, err) != nil {
			return managed.ExternalDelete{}, errors.Wrap(err, errDeleteBudget)
		}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ep.Namespace, Name: ep.Name}}
	err = e.outer.Client.Delete(ctx, svc)
	return managed.ExternalDelete{}, errors.Wrap(resource.Ignore(kerrors.IsNotFound, err), errDeleteService)
}

func (e *external) Disconnect(context.Context) error { return nil }
