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

// Package kubernetescluster reconciles KubernetesClusters: the Cluster API infrastructure cluster, realised
// by a NodeService (the control-plane endpoint) and a ProviderConfig naming the outer cluster.
package kubernetescluster

import (
	"context"
	"fmt"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrorsutil "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util"
	"sigs.k8s.io/cluster-api/util/annotations"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/cluster-api/util/finalizers"
	"sigs.k8s.io/cluster-api/util/paused"
	"sigs.k8s.io/cluster-api/util/predicates"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
)

const defaultKubeconfigSecretKey = "kubeconfig"

// Reconciler reconciles KubernetesClusters.
type Reconciler struct {
	Client client.Client
	// Clusters connects to outer clusters, whose Nodes' zones are the failure domains unless the
	// KubernetesCluster declares its own.
	Clusters *clients.Registry
	// WatchFilterValue is the value of the cluster.x-k8s.io/watch-filter label this instance serves.
	WatchFilterValue string
}

// SetupWithManager adds the controller to mgr.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	log := ctrl.LoggerFrom(ctx).WithValues("controller", "kubernetescluster")
	return ctrl.NewControllerManagedBy(mgr).
		For(&infrav1.KubernetesCluster{}, builder.WithPredicates(reconciler.SpecOrMetadataChanged())).
		Named("kubernetescluster").
		WithOptions(o).
		WithEventFilter(predicates.ResourceHasFilterLabel(mgr.GetScheme(), log, r.WatchFilterValue)).
		WithEventFilter(predicates.ResourceIsNotExternallyManaged(mgr.GetScheme(), log)).
		Owns(&kindnodev1alpha1.NodeService{}).
		WatchesRawSource(r.Clusters.ZoneSource(kind)).
		Watches(&clusterv1.Cluster{},
			handler.EnqueueRequestsFromMapFunc(util.ClusterToInfrastructureMapFunc(ctx, infrav1.GroupVersion.WithKind("KubernetesCluster"), mgr.GetClient(), &infrav1.KubernetesCluster{})),
			builder.WithPredicates(predicates.ClusterPausedTransitions(mgr.GetScheme(), log))).
		Complete(r)
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesclusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesclusters/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesclusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigs,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodeservices,verbs=get;list;watch;create;update;patch;delete

// Reconcile brings a KubernetesCluster's NodeService and ProviderConfig to what it asks for, and publishes
// its failure domains. It reads the KubernetesCluster and its Cluster; patches the KubernetesCluster's
// finalizer, endpoint and status; creates or patches the ProviderConfig and the NodeService, which the
// KubernetesCluster controls (so the finalizers subresource: an owner reference that blocks the owner's
// deletion needs it); and deletes the NodeService, or updates its management policies first when clusterctl
// move takes the cluster elsewhere.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	log := ctrl.LoggerFrom(ctx)
	kc := &infrav1.KubernetesCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, kc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	cluster, err := util.GetOwnerCluster(ctx, r.Client, kc.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, err
	}
	if cluster == nil {
		log.Info("Waiting for the Cluster controller to set the owner reference")
		return ctrl.Result{}, nil
	}
	if annotations.IsExternallyManaged(kc) {
		return ctrl.Result{}, nil
	}
	if added, err := finalizers.EnsureFinalizer(ctx, r.Client, kc, infrav1.ClusterFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	// A paused object gets its Paused condition at once and nothing else; an object that is not gets it with
	// the rest of its status, rather than in a write of its own that the next reconcile starts over from.
	if ptr.Deref(cluster.Spec.Paused, false) || annotations.HasPaused(kc) {
		_, _, err := paused.EnsurePausedCondition(ctx, r.Client, cluster, kc)
		return ctrl.Result{}, err
	}
	before := kc.DeepCopy()
	conditions.Set(kc, metav1.Condition{Type: clusterv1.PausedCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotPausedReason})
	defer func() {
		if err := summarize(kc); err != nil {
			reterr = kerrorsutil.NewAggregate([]error{reterr, err})
		}
		if err := reconciler.PatchChanges(ctx, r.Client, before, kc); err != nil {
			reterr = kerrorsutil.NewAggregate([]error{reterr, err})
		}
	}()

	if !kc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, kc)
	}
	return r.reconcileNormal(ctx, cluster, kc)
}

func summarize(kc *infrav1.KubernetesCluster) error {
	return conditions.SetSummaryCondition(kc, kc, clusterv1.ReadyCondition,
		conditions.ForConditionTypes{infrav1.KubernetesClusterControlPlaneEndpointReadyCondition},
		conditions.CustomMergeStrategy{MergeStrategy: conditions.DefaultMergeStrategy(
			conditions.ComputeReasonFunc(conditions.GetDefaultComputeMergeReasonFunc(infrav1.KubernetesClusterNotReadyReason, infrav1.KubernetesClusterReadyUnknownReason, infrav1.KubernetesClusterReadyReason)),
		)},
	)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cluster *clusterv1.Cluster, kc *infrav1.KubernetesCluster) (ctrl.Result, error) {
	pc := &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: kc.Namespace, Name: kc.ProviderConfigName()}}
	if _, err := controllerutil.CreateOrPatch(ctx, r.Client, pc, func() error {
		pc.Spec.Credentials = credentials(kc)
		return controllerutil.SetOwnerReference(kc, pc, r.Client.Scheme())
	}); err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot apply ProviderConfig %s: %w", pc.Name, err)
	}
	// Neither waits for the other: the endpoint does not need the failure domains, and Cluster API may place
	// the first Machine in one as soon as the endpoint is provisioned.
	return ctrl.Result{}, kerrorsutil.NewAggregate([]error{
		r.reconcileEndpoint(ctx, cluster, kc, pc),
		r.reconcileFailureDomains(ctx, kc),
	})
}

// reconcileEndpoint applies the NodeService of kc and, once it has an address, makes it the control-plane
// endpoint.
func (r *Reconciler) reconcileEndpoint(ctx context.Context, cluster *clusterv1.Cluster, kc *infrav1.KubernetesCluster, pc *apisv1alpha1.ProviderConfig) error {
	ns := &kindnodev1alpha1.NodeService{ObjectMeta: metav1.ObjectMeta{Namespace: kc.Namespace, Name: kc.Name}}
	if _, err := controllerutil.CreateOrPatch(ctx, r.Client, ns, func() error {
		metav1.SetMetaDataLabel(&ns.ObjectMeta, clusterv1.ClusterNameLabel, cluster.Name)
		ns.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: pc.Name}
		ns.Spec.ForProvider.ClusterName = cluster.Name
		ns.Spec.ForProvider.Type = kc.Spec.ControlPlaneServiceType
		return controllerutil.SetControllerReference(kc, ns, r.Client.Scheme())
	}); err != nil {
		return fmt.Errorf("cannot apply NodeService %s: %w", ns.Name, err)
	}

	ready := ns.Status.GetCondition(xpv2.TypeReady)
	if ready.Status != corev1.ConditionTrue || ns.Status.AtProvider.Host == "" {
		msg := ready.Message
		if msg == "" {
			msg = "waiting for the endpoint Service"
		}
		conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterControlPlaneEndpointReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesClusterControlPlaneEndpointNotReadyReason,
			Message: fmt.Sprintf("NodeService %s: %s", ns.Name, msg)})
		return nil
	}

	// A user-set endpoint (for example a DNS name in front of a LoadBalancer) wins over the Service's.
	if kc.Spec.ControlPlaneEndpoint.IsZero() {
		kc.Spec.ControlPlaneEndpoint = infrav1.APIEndpoint{Host: ns.Status.AtProvider.Host, Port: ns.Status.AtProvider.Port}
	}
	conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterControlPlaneEndpointReadyCondition, Status: metav1.ConditionTrue, Reason: infrav1.KubernetesClusterControlPlaneEndpointReadyReason})
	kc.Status.Initialization.Provisioned = ptr.To(true)
	return nil
}

func (r *Reconciler) reconcileDelete(ctx context.Context, kc *infrav1.KubernetesCluster) (ctrl.Result, error) {
	r.Clusters.ForgetZones(owner(kc))
	conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterControlPlaneEndpointReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesClusterDeletingReason, Message: "deleting the endpoint Service"})
	gone, err := reconciler.DeleteManaged(ctx, r.Client, kc, &kindnodev1alpha1.NodeService{ObjectMeta: metav1.ObjectMeta{Namespace: kc.Namespace, Name: kc.Name}})
	if gone {
		controllerutil.RemoveFinalizer(kc, infrav1.ClusterFinalizer)
	}
	return ctrl.Result{}, err
}

func credentials(kc *infrav1.KubernetesCluster) apisv1alpha1.ProviderCredentials {
	ref := kc.Spec.InfraClusterSecretRef
	if ref == nil {
		return apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}
	}
	key := ref.Key
	if key == "" {
		key = defaultKubeconfigSecretKey
	}
	return apisv1alpha1.ProviderCredentials{
		Source: xpv2.CredentialsSourceSecret,
		CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
			SecretReference: xpv2.SecretReference{Namespace: kc.Namespace, Name: ref.Name}, Key: key,
		}},
	}
}
