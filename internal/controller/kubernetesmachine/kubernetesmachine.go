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

// Package kubernetesmachine reconciles KubernetesMachines: the Cluster API infrastructure machine, realised
// by a NodePod whose bootstrap data is the Machine's.
package kubernetesmachine

import (
	"context"
	"errors"
	"fmt"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
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
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// errFailureDomainUnknown stops the creation of a NodePod whose Machine names a failure domain its cluster
// does not have.
var errFailureDomainUnknown = errors.New("unknown failure domain")

// Reconciler reconciles KubernetesMachines.
type Reconciler struct {
	Client client.Client
	// WatchFilterValue is the value of the cluster.x-k8s.io/watch-filter label this instance serves.
	WatchFilterValue string
}

// SetupWithManager adds the controller to mgr.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, o controller.Options) error {
	log := ctrl.LoggerFrom(ctx).WithValues("controller", "kubernetesmachine")
	clusterToMachines, err := util.ClusterToTypedObjectsMapper(mgr.GetClient(), &infrav1.KubernetesMachineList{}, mgr.GetScheme())
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&infrav1.KubernetesMachine{}, builder.WithPredicates(reconciler.SpecOrMetadataChanged())).
		Named("kubernetesmachine").
		WithOptions(o).
		WithEventFilter(predicates.ResourceHasFilterLabel(mgr.GetScheme(), log, r.WatchFilterValue)).
		Watches(&kindnodev1alpha1.NodePod{},
			readyFirst(handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &infrav1.KubernetesMachine{}, handler.OnlyControllerOwner())),
			builder.WithPredicates(nodePodChanged())).
		// A reconcile reads a Machine's spec and labels, never its status, which Cluster API writes often.
		Watches(&clusterv1.Machine{},
			handler.EnqueueRequestsFromMapFunc(util.MachineToInfrastructureMapFunc(infrav1.GroupVersion.WithKind("KubernetesMachine"))),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&clusterv1.Cluster{},
			handler.EnqueueRequestsFromMapFunc(clusterToMachines),
			builder.WithPredicates(predicates.ClusterPausedTransitionsOrInfrastructureProvisioned(mgr.GetScheme(), log))).
		Watches(&infrav1.KubernetesCluster{},
			handler.EnqueueRequestsFromMapFunc(kubernetesClusterToMachines(clusterToMachines)),
			builder.WithPredicates(failureDomainsChanged{})).
		Complete(r)
}

// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesmachines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesmachines/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesmachines/finalizers,verbs=update
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=kubernetesclusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines;clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods,verbs=get;list;watch;create;update;patch;delete

// Reconcile brings a KubernetesMachine's NodePod to what its Machine asks for and reports the node back. It
// reads the KubernetesMachine, its Machine, Cluster and KubernetesCluster; patches the KubernetesMachine's
// finalizer, provider ID and status (and updates it to drop the finalizer of one never owned); creates or
// patches the NodePod, which the KubernetesMachine controls (so the finalizers subresource: an owner
// reference that blocks the owner's deletion needs it); and deletes the NodePod, or updates its management
// policies first when clusterctl move takes the machine elsewhere.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	log := ctrl.LoggerFrom(ctx)
	km := &infrav1.KubernetesMachine{}
	if err := r.Client.Get(ctx, req.NamespacedName, km); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	machine, err := util.GetOwnerMachine(ctx, r.Client, km.ObjectMeta)
	if err != nil {
		return ctrl.Result{}, err
	}
	if machine == nil {
		if !km.DeletionTimestamp.IsZero() && controllerutil.RemoveFinalizer(km, infrav1.MachineFinalizer) {
			// Never owned, so it never created anything.
			return ctrl.Result{}, r.Client.Update(ctx, km)
		}
		log.Info("Waiting for the Machine controller to set the owner reference")
		return ctrl.Result{}, nil
	}
	// A KubernetesMachine being deleted needs neither its Cluster nor its KubernetesCluster: its NodePod has
	// its own name. Both may be gone before it, as when their namespace is deleted, which deletes everything
	// in it at once: waiting for them would hold the namespace for ever.
	deleting := !km.DeletionTimestamp.IsZero()
	cluster, err := util.GetClusterFromMetadata(ctx, r.Client, machine.ObjectMeta)
	switch {
	case deleting && kerrors.IsNotFound(err):
		cluster = nil
	case errors.Is(err, util.ErrNoCluster):
		// Cluster API's Machine controller labels every Machine with its Cluster; a change of the Machine
		// brings it here again.
		log.Info("The Machine has no cluster label yet")
		return ctrl.Result{}, nil
	case err != nil:
		// Its Cluster not there (yet, or any more) or not readable: tried again with backoff, as CAPD does.
		return ctrl.Result{}, fmt.Errorf("cannot get the Cluster of Machine %s: %w", machine.Name, err)
	}
	kc := &infrav1.KubernetesCluster{}
	if !deleting {
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: km.Namespace, Name: cluster.Spec.InfrastructureRef.Name}, kc); err != nil {
			log.Info("Waiting for the KubernetesCluster", "error", err.Error())
			return ctrl.Result{}, nil
		}
	}
	if added, err := finalizers.EnsureFinalizer(ctx, r.Client, km, infrav1.MachineFinalizer); err != nil || added {
		return ctrl.Result{}, err
	}
	// A paused object gets its Paused condition at once and nothing else; an object that is not gets it with
	// the rest of its status, rather than in a write of its own that the next reconcile starts over from.
	if (cluster != nil && ptr.Deref(cluster.Spec.Paused, false)) || annotations.HasPaused(km) {
		if cluster == nil {
			return ctrl.Result{}, nil
		}
		_, _, err := paused.EnsurePausedCondition(ctx, r.Client, cluster, km)
		return ctrl.Result{}, err
	}
	before := km.DeepCopy()
	conditions.Set(km, metav1.Condition{Type: clusterv1.PausedCondition, Status: metav1.ConditionFalse, Reason: clusterv1.NotPausedReason})
	defer func() {
		if err := summarize(km); err != nil {
			reterr = kerrorsutil.NewAggregate([]error{reterr, err})
		}
		if err := reconciler.PatchChanges(ctx, r.Client, before, km); err != nil {
			reterr = kerrorsutil.NewAggregate([]error{reterr, err})
		}
	}()

	if deleting {
		return r.reconcileDelete(ctx, km)
	}
	return r.reconcileNormal(ctx, cluster, machine, kc, km)
}

func summarize(km *infrav1.KubernetesMachine) error {
	return conditions.SetSummaryCondition(km, km, clusterv1.ReadyCondition,
		conditions.ForConditionTypes{infrav1.KubernetesMachineNodePodReadyCondition, infrav1.KubernetesMachineBootstrappedCondition},
		conditions.CustomMergeStrategy{MergeStrategy: conditions.DefaultMergeStrategy(
			conditions.ComputeReasonFunc(conditions.GetDefaultComputeMergeReasonFunc(infrav1.KubernetesMachineNotReadyReason, infrav1.KubernetesMachineReadyUnknownReason, infrav1.KubernetesMachineReadyReason)),
		)},
	)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cluster *clusterv1.Cluster, machine *clusterv1.Machine, kc *infrav1.KubernetesCluster, km *infrav1.KubernetesMachine) (ctrl.Result, error) {
	if !ptr.Deref(cluster.Status.Initialization.InfrastructureProvisioned, false) {
		setWaiting(km, infrav1.KubernetesMachineWaitingForClusterInfrastructureReason, "waiting for the cluster's infrastructure (its endpoint Service)")
		return ctrl.Result{}, nil
	}
	if machine.Spec.Bootstrap.DataSecretName == nil {
		setWaiting(km, infrav1.KubernetesMachineWaitingForBootstrapDataReason, "waiting for the Machine's bootstrap data")
		return ctrl.Result{}, nil
	}

	// A Machine in a failure domain gets its node Pod pinned to the domain's outer Nodes. One that names a
	// domain the cluster does not have gets no node Pod: Cluster API chose a domain the provider has not
	// published, or a user named one, and a change of the KubernetesCluster's failure domains brings the
	// Machine back. A node Pod made before its domain went away (its zone's last outer Node gone, say) keeps
	// the placement it was made with.
	nodes, known := failureDomainNodes(kc, machine.Spec.FailureDomain)
	np := &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: km.Namespace, Name: km.Name}}
	if _, err := controllerutil.CreateOrPatch(ctx, r.Client, np, func() error {
		affinity := withRequiredNodes(km.Spec.Affinity, nodes)
		if !known {
			if np.CreationTimestamp.IsZero() {
				return errFailureDomainUnknown
			}
			affinity = np.Spec.ForProvider.Affinity
		}
		metav1.SetMetaDataLabel(&np.ObjectMeta, clusterv1.ClusterNameLabel, cluster.Name)
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: kc.ProviderConfigName()}
		np.Spec.ForProvider = forProvider(cluster, machine, km, affinity, np.Spec.ForProvider)
		return controllerutil.SetControllerReference(km, np, r.Client.Scheme())
	}); errors.Is(err, errFailureDomainUnknown) {
		setWaiting(km, infrav1.KubernetesMachineUnknownFailureDomainReason, unknownFailureDomain(kc, machine.Name, machine.Spec.FailureDomain))
		return ctrl.Result{}, nil
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot apply NodePod %s: %w", np.Name, err)
	}

	mirror(km, np)
	obs := np.Status.AtProvider
	if obs.PodName != "" {
		km.Status.Addresses = addresses(obs)
	}
	if km.Spec.ProviderID == "" && obs.ProviderID != "" && np.Status.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
		// The provider ID names the Pod, not its incarnation, so it holds when the Pod is recreated.
		km.Spec.ProviderID = obs.ProviderID
	}
	if machine.Spec.FailureDomain != "" {
		km.Status.FailureDomain = machine.Spec.FailureDomain
	}
	if km.Spec.ProviderID != "" && np.Status.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
		km.Status.Initialization.Provisioned = ptr.To(true)
	}
	return ctrl.Result{}, nil
}

// forProvider is the NodePod a Machine asks for, placed by affinity (the KubernetesMachine's, with its
// failure domain's Nodes). Fields the NodePod defaults are kept as they are, so that applying the same Machine
// twice changes nothing.
func forProvider(cluster *clusterv1.Cluster, machine *clusterv1.Machine, km *infrav1.KubernetesMachine, affinity *corev1.Affinity, have kindnodev1alpha1.NodePodParameters) kindnodev1alpha1.NodePodParameters {
	p := have
	p.ClusterName = cluster.Name
	p.Role = kindnodev1alpha1.NodeRoleWorker
	if util.IsControlPlaneMachine(machine) {
		p.Role = kindnodev1alpha1.NodeRoleControlPlane
	}
	p.KubernetesVersion = machine.Spec.Version
	p.Image = km.Spec.Image
	p.Resources = km.Spec.Resources
	p.NodeSelector = km.Spec.NodeSelector
	p.Tolerations = km.Spec.Tolerations
	p.Affinity = affinity
	p.TopologySpreadConstraints = km.Spec.TopologySpreadConstraints
	p.DisableDefaultCNI = km.Spec.DisableDefaultCNI
	p.Persistence = km.Spec.Persistence
	p.ExtraVolumes = km.Spec.ExtraVolumes
	p.BootstrapDataSecretRef = &kindnodev1alpha1.BootstrapDataSecretReference{Name: *machine.Spec.Bootstrap.DataSecretName, Key: "value"}
	// Machines are immutable in Cluster API: a change rolls out new Machines, it never recreates a node in
	// place. What reaches the NodePod anyway (a template edit) is reported, not acted on.
	p.UpdatePolicy = kindnodev1alpha1.UpdatePolicyReport
	// A lost node Pod is a failed Machine: Cluster API replaces it (MachineHealthCheck, then the MachineSet or
	// KubeadmControlPlane, which also takes its etcd member out). A new Pod that ran the same bootstrap data
	// would, for a control plane, join etcd a second time under the same name; and its join token may have
	// expired. A control-plane node whose etcd persists keeps its identity and address instead, so its Pod
	// comes back as the same node and etcd member.
	p.PodLossPolicy = kindnodev1alpha1.PodLossPolicyReport
	if kindnode.PersistentIdentity(p) {
		p.PodLossPolicy = kindnodev1alpha1.PodLossPolicyRecreate
	}
	return p
}

// mirror copies the NodePod's story into the KubernetesMachine's conditions.
func mirror(km *infrav1.KubernetesMachine, np *kindnodev1alpha1.NodePod) {
	ready := np.Status.GetCondition(xpv2.TypeReady)
	c := metav1.Condition{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesMachineNodePodNotReadyReason}
	switch {
	case ready.Status == corev1.ConditionTrue:
		c.Status, c.Reason = metav1.ConditionTrue, infrav1.KubernetesMachineNodePodReadyReason
	case ready.Message != "":
		c.Message = fmt.Sprintf("NodePod %s: %s: %s", np.Name, ready.Reason, ready.Message)
	default:
		c.Message = fmt.Sprintf("NodePod %s: waiting for its Pod", np.Name)
	}
	if synced := np.Status.GetCondition(xpv2.TypeSynced); synced.Status == corev1.ConditionFalse && synced.Message != "" {
		c.Message = fmt.Sprintf("NodePod %s cannot be reconciled: %s", np.Name, synced.Message)
	}
	conditions.Set(km, c)

	b := np.Status.GetCondition(kindnodev1alpha1.TypeBootstrapped)
	bc := metav1.Condition{Type: infrav1.KubernetesMachineBootstrappedCondition, Status: metav1.ConditionStatus(b.Status), Reason: string(b.Reason), Message: b.Message}
	if bc.Status == "" || bc.Reason == "" {
		bc.Status, bc.Reason, bc.Message = metav1.ConditionUnknown, string(kindnodev1alpha1.ReasonWaitingForPod), "the bootstrap starts once the node container runs"
	}
	conditions.Set(km, bc)
}

func setWaiting(km *infrav1.KubernetesMachine, reason, msg string) {
	conditions.Set(km, metav1.Condition{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionFalse, Reason: reason, Message: msg})
	conditions.Set(km, metav1.Condition{Type: infrav1.KubernetesMachineBootstrappedCondition, Status: metav1.ConditionFalse, Reason: reason, Message: msg})
}

func addresses(obs kindnodev1alpha1.NodePodObservation) []clusterv1.MachineAddress {
	a := []clusterv1.MachineAddress{{Type: clusterv1.MachineHostName, Address: obs.PodName}}
	if obs.PodIP != "" {
		a = append(a, clusterv1.MachineAddress{Type: clusterv1.MachineInternalIP, Address: obs.PodIP})
	}
	return a
}

func (r *Reconciler) reconcileDelete(ctx context.Context, km *infrav1.KubernetesMachine) (ctrl.Result, error) {
	// Readiness never holds a deletion up: a node that never came up is deleted like any other.
	conditions.Set(km, metav1.Condition{Type: infrav1.KubernetesMachineNodePodReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesMachineDeletingReason, Message: "deleting the node Pod"})
	gone, err := reconciler.DeleteManaged(ctx, r.Client, km, &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: km.Namespace, Name: km.Name}})
	if gone {
		controllerutil.RemoveFinalizer(km, infrav1.MachineFinalizer)
	}
	return ctrl.Result{}, err
}
