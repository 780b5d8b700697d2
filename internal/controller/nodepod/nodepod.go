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

// Package nodepod reconciles NodePods: a kind node as a Pod in an outer cluster.
package nodepod

import (
	"context"
	"strconv"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errBuildPod   = "cannot build the node Pod from forProvider"
	errGetPod     = "cannot get the node Pod"
	errCreatePod  = "cannot create the node Pod"
	errCreatePVC  = "cannot create a PersistentVolumeClaim of the node"
	errPatchPod   = "cannot update the node Pod's labels and annotations"
	errDeletePod  = "cannot delete the node Pod"
	errDeletePVC  = "cannot delete a PersistentVolumeClaim of the node"
	errForeignPod = "a Pod named %s/%s exists in the outer cluster but does not belong to this NodePod; rename the NodePod or remove that Pod"
)

// Options configure the NodePod controller beyond crossplane-runtime's.
type Options struct {
	// Clusters connects to outer clusters.
	Clusters *clients.Registry
	// ImageRepository is the kind node image repository used with forProvider.kubernetesVersion.
	ImageRepository string
	// Node reaches the bootstrap runs of a node Pod; pods/exec through the outer cluster's API server when
	// nil.
	Node func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner
	// BootstrapRetryAfter is how long a failed bootstrap step is reported before it runs again, under the
	// Retry policy; retryAfter when zero.
	BootstrapRetryAfter time.Duration
	// NetworkInterval is how often each node's network status is read; networkInterval when zero.
	NetworkInterval time.Duration
}

// +kubebuilder:rbac:groups="",resources=pods/exec,verbs=create;get

// podNode reaches a node Pod's bootstrap runs through pods/exec. It connects with WebSockets, an HTTP GET
// that API servers before 1.35 authorize as "get"; newer ones (and SPDY) ask for "create".
func podNode(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner {
	return bootstrap.Node{Exec: &bootstrap.PodExecutor{Config: cfg, Namespace: namespace, Pod: pod, Container: container}, Timeout: bootstrapTimeout}
}

// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods/status,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Setup adds a controller that reconciles NodePods. Its managed reconciler reads NodePods and writes their
// finalizer, annotations and status; the external client reads a NodePod's bootstrap data Secret from the API
// server when its bootstrap is about to start (observeBootstrap), and never watches Secrets.
func Setup(mgr ctrl.Manager, o controller.Options, no Options) error {
	if no.Node == nil {
		no.Node = podNode
	}

	// Finished bootstrap runs, changed network verdicts and outer Pod changes come back as reconcile
	// requests, so Ready follows the node at once and not at the next poll.
	done := make(chan event.TypedGenericEvent[*v1alpha1.NodePod], 128)
	notify := func(nn types.NamespacedName) {
		done <- event.TypedGenericEvent[*v1alpha1.NodePod]{Object: &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: nn.Namespace, Name: nn.Name}}}
	}
	if no.BootstrapRetryAfter == 0 {
		no.BootstrapRetryAfter = retryAfter
	}
	boot := newBootstrapper(notify, no.BootstrapRetryAfter)
	if err := mgr.Add(boot); err != nil {
		return errors.Wrap(err, "cannot add the bootstrap runner to the manager")
	}
	if no.NetworkInterval == 0 {
		no.NetworkInterval = networkInterval
	}
	nw := newNetworkWatcher(notify, no.NetworkInterval)
	if err := mgr.Add(nw); err != nil {
		return errors.Wrap(err, "cannot add the network watcher to the manager")
	}

	expected := newExpectations()
	c, err := reconciler.NewManagedController(mgr, o, v1alpha1.NodePodGroupVersionKind, func(kube client.Client) managed.TypedExternalConnector[*v1alpha1.NodePod] {
		return &connector{
			kube:            kube,
			usage:           resource.NewProviderConfigUsageTracker(kube, &apisv1alpha1.ProviderConfigUsage{}),
			clusters:        no.Clusters,
			boot:            boot,
			net:             nw,
			imageRepository: no.ImageRepository,
			nodes:           no.Node,
			expected:        expected,
		}
	})
	if err != nil {
		return err
	}
	return c.Builder.
		WatchesRawSource(no.Clusters.Source(v1alpha1.NodePodKind, podEvents(mgr.GetCache()))).
		WatchesRawSource(source.Channel(done, &handler.TypedEnqueueRequestForObject[*v1alpha1.NodePod]{})).
		Complete(ratelimiter.NewReconciler(c.Name, awaitEvents{inner: c.Reconciler, expected: expected}, o.GlobalRateLimiter))
}

type connector struct {
	kube            client.Client
	usage           *resource.ProviderConfigUsageTracker
	clusters        *clients.Registry
	boot            *bootstrapper
	net             *networkWatcher
	imageRepository string
	nodes           func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner
	expected        *expectations
}

func (c *connector) Connect(ctx context.Context, cr *v1alpha1.NodePod) (managed.TypedExternalClient[*v1alpha1.NodePod], error) {
	outer, err := c.clusters.Connect(ctx, c.kube, c.usage, cr)
	switch {
	case err != nil:
		return nil, err
	case outer == nil:
		return clients.Nothing[*v1alpha1.NodePod]{}, nil
	}
	return &external{kube: c.kube, outer: outer, boot: c.boot, net: c.net, imageRepository: c.imageRepository, nodes: c.nodes, expected: c.expected}, nil
}

type external struct {
	kube            client.Client
	outer           *clients.Cluster
	boot            *bootstrapper
	net             *networkWatcher
	imageRepository string
	nodes           func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner

	// expected learns of the Pods this client created or deleted.
	expected *expectations
	// terminating is the Pod Observe found being deleted already; nil when it found none.
	terminating *corev1.Pod
	// startBootstrap starts the bootstrap Observe found due; nil when none is.
	startBootstrap func()
}

// node is what the engine needs to build the NodePod's outer objects.
func (e *external) node(cr *v1alpha1.NodePod) kindnode.Node {
	ns := cr.Spec.ForProvider.Namespace
	if ns == "" {
		ns = cr.GetNamespace()
	}
	return kindnode.Node{
		Name:            meta.GetExternalName(cr),
		Namespace:       ns,
		Owner:           kindnode.Owner{Kind: v1alpha1.NodePodKind, Name: cr.GetName(), Namespace: cr.GetNamespace()},
		Params:          cr.Spec.ForProvider,
		ImageRepository: e.imageRepository,
	}
}

func (e *external) desired(cr *v1alpha1.NodePod) (*corev1.Pod, error) {
	pod, err := kindnode.BuildPod(e.node(cr))
	if err != nil {
		return nil, errors.Wrap(err, errBuildPod)
	}
	kindnode.RecordManagedMetadata(pod)
	return pod, nil
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.NodePod) (managed.ExternalObservation, error) {
	n := e.node(cr)
	pod := &corev1.Pod{}
	if err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: n.Namespace, Name: n.Name}, pod); err != nil {
		if kerrors.IsNotFound(err) {
			e.net.forget(types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()})
			return observeGone(cr, n), nil
		}
		return managed.ExternalObservation{}, errors.Wrap(err, errGetPod)
	}
	if o, ok := kindnode.OwnerFromLabels(pod.GetLabels()); !ok || o != n.Owner {
		return managed.ExternalObservation{}, errors.Errorf(errForeignPod, pod.Namespace, pod.Name)
	}

	if pod.GetDeletionTimestamp() != nil {
		e.terminating = pod
	}
	if meta.WasDeleted(cr) {
		// The Pod is going; report it until it is gone so the finalizer outlives it. How it goes is not
		// worth a status write per step: the NodePod goes with it.
		e.net.forget(types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()})
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}

	obs := kindnode.ObservePod(pod)
	prev := cr.Status.AtProvider
	obs.Bootstrapped = prev.Bootstrapped && prev.PodUID == obs.PodUID
	cr.Status.AtProvider = obs

	desired, err := e.desired(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}

	e.observeBootstrap(ctx, cr, pod)
	e.observeNetwork(cr, pod)
	setReady(cr, pod, e.waitingClaims(ctx, n, pod))

	upToDate := true
	switch {
	case pod.GetDeletionTimestamp() != nil:
		// Being replaced; Create follows once it is gone.
	case pod.Annotations[kindnode.AnnotationSpecHash] != desired.Annotations[kindnode.AnnotationSpecHash]:
		if cr.Spec.ForProvider.UpdatePolicy == v1alpha1.UpdatePolicyRecreate {
			cr.Status.SetConditions(podUpToDate(corev1.ConditionFalse, v1alpha1.ReasonRecreating, "forProvider changed fields a Pod cannot change in place; the Pod is being recreated"))
			upToDate = false
			break
		}
		cr.Status.SetConditions(podUpToDate(corev1.ConditionFalse, v1alpha1.ReasonImmutableFieldChanged,
			"forProvider changed fields a Pod cannot change in place; the running Pod keeps the old ones. Set spec.forProvider.updatePolicy to Recreate to replace it, or delete the Pod"))
		desired.Annotations[kindnode.AnnotationSpecHash] = pod.Annotations[kindnode.AnnotationSpecHash]
		upToDate = kindnode.MetadataUpToDate(pod, desired)
	default:
		cr.Status.SetConditions(podUpToDate(corev1.ConditionTrue, v1alpha1.ReasonPodMatches, ""))
		upToDate = kindnode.MetadataUpToDate(pod, desired)
	}

	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  upToDate && e.startBootstrap == nil,
		ConnectionDetails: connectionDetails(cr),
	}, nil
}

// connectionDetails publish where a control-plane node's API server listens.
func connectionDetails(cr *v1alpha1.NodePod) managed.ConnectionDetails {
	if cr.Spec.ForProvider.Role != v1alpha1.NodeRoleControlPlane || cr.Status.AtProvider.PodIP == "" {
		return nil
	}
	return managed.ConnectionDetails{
		"endpoint": []byte(cr.Status.AtProvider.PodIP),
		"port":     []byte(strconv.Itoa(kindnode.APIServerPort)),
	}
}

func podUpToDate(s corev1.ConditionStatus, r xpv2.ConditionReason, msg string) xpv2.Condition {
	return xpv2.Condition{Type: v1alpha1.TypePodUpToDate, Status: s, Reason: r, Message: msg, LastTransitionTime: metav1.Now()}
}

// setReady makes Ready tell whether the node is up: its Pod is ready, its bootstrap, if any, completed, and it
// does not say its pod network is broken. claims, when not empty, says which claims the Pod waits for.
func setReady(cr *v1alpha1.NodePod, pod *corev1.Pod, claims string) {
	available, reason, msg := kindnode.PodAvailability(pod)
	switch network := cr.GetCondition(v1alpha1.TypeNetworkReady); {
	case !available && claims != "":
		cr.Status.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonClaimPending, Message: claims, LastTransitionTime: metav1.Now()})
	case !available:
		cr.Status.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: xpv2.ConditionReason(reason), Message: msg, LastTransitionTime: metav1.Now()})
	case !bootstrapDone(cr):
		cr.Status.SetConditions(xpv2.Unavailable().WithMessage("the node Pod is ready; waiting for its bootstrap to complete (see the Bootstrapped condition)"))
	case network.Status == corev1.ConditionFalse:
		cr.Status.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonNetworkUnavailable, LastTransitionTime: metav1.Now(),
			Message: "the node Pod is ready, but its node says its pod network is broken: " + network.Message})
	default:
		cr.Status.SetConditions(xpv2.Available())
	}
}

// +kubebuilder:rbac:groups="",resources=pods,verbs=create;patch;delete
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=create;delete

// Create creates the node's state volume claims and its Pod; Update patches the Pod and Delete deletes both.
func (e *external) Create(ctx context.Context, cr *v1alpha1.NodePod) (managed.ExternalCreation, error) {
	cr.Status.SetConditions(xpv2.Creating())
	pod, err := e.desired(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if err := e.ensureAddress(ctx, e.node(cr)); err != nil {
		return managed.ExternalCreation{}, err
	}
	for _, pvc := range kindnode.BuildPVCs(e.node(cr)) {
		if err := e.outer.Client.Create(ctx, pvc); resource.Ignore(kerrors.IsAlreadyExists, err) != nil {
			return managed.ExternalCreation{}, errors.Wrap(err, errCreatePVC)
		}
	}
	// The informer may not have seen a Pod created a moment ago; creating it twice is not an error.
	if err := e.outer.Client.Create(ctx, pod); resource.Ignore(kerrors.IsAlreadyExists, err) != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, errCreatePod)
	}
	e.expect(cr)
	return managed.ExternalCreation{}, nil
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.NodePod) (managed.ExternalUpdate, error) {
	if e.startBootstrap != nil {
		e.startBootstrap()
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapping, "starting the bootstrap in the node"))
	}
	n := e.node(cr)
	pod := &corev1.Pod{}
	if err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: n.Namespace, Name: n.Name}, pod); err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(resource.Ignore(kerrors.IsNotFound, err), errGetPod)
	}
	desired, err := e.desired(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	if pod.Annotations[kindnode.AnnotationSpecHash] != desired.Annotations[kindnode.AnnotationSpecHash] {
		if cr.Spec.ForProvider.UpdatePolicy == v1alpha1.UpdatePolicyRecreate {
			// Persistent volumes stay; the Pod comes back from them on the next Create.
			err := e.outer.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID})
			return managed.ExternalUpdate{}, errors.Wrap(resource.Ignore(kerrors.IsNotFound, err), errDeletePod)
		}
		desired.Annotations[kindnode.AnnotationSpecHash] = pod.Annotations[kindnode.AnnotationSpecHash]
	}
	patch, changed := kindnode.MetadataPatch(pod, desired)
	if !changed {
		return managed.ExternalUpdate{}, nil
	}
	err = e.outer.Client.Patch(ctx, pod, client.RawPatch(types.MergePatchType, patch))
	return managed.ExternalUpdate{}, errors.Wrap(err, errPatchPod)
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.NodePod) (managed.ExternalDelete, error) {
	cr.Status.SetConditions(xpv2.Deleting())
	n := e.node(cr)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: n.Namespace, Name: n.Name}}
	// The managed reconciler asks again until the Pod is gone; asking the outer cluster again would not
	// make it go sooner, unless its outer Node is lost.
	if e.terminating == nil {
		if err := e.outer.Client.Delete(ctx, pod); resource.Ignore(kerrors.IsNotFound, err) != nil {
			return managed.ExternalDelete{}, errors.Wrap(err, errDeletePod)
		}
	} else {
		removed, err := e.removeFromLostNode(ctx, e.terminating, time.Now())
		if err != nil {
			return managed.ExternalDelete{}, err
		}
		if removed != "" {
			cr.Status.SetConditions(xpv2.Deleting().WithMessage(removed))
		}
	}
	// The address goes with the NodePod, whatever the reclaim policy: a ClusterIP cannot be kept for later.
	if err := e.deleteAddress(ctx, n); err != nil {
		return managed.ExternalDelete{}, err
	}
	p := cr.Spec.ForProvider.Persistence
	if p == nil || p.ReclaimPolicy == v1alpha1.ReclaimPolicyRetain {
		e.expect(cr)
		return managed.ExternalDelete{}, nil
	}
	// Claims in use by the terminating Pod are held back by the outer cluster until the Pod is gone.
	for _, pvc := range kindnode.BuildPVCs(n) {
		if err := e.outer.Client.Delete(ctx, pvc); resource.Ignore(kerrors.IsNotFound, err) != nil {
			return managed.ExternalDelete{}, errors.Wrap(err, errDeletePVC)
		}
	}
	e.expect(cr)
	return managed.ExternalDelete{}, nil
}

func (e *external) Disconnect(context.Context) error { return nil }

// expect notes that the Pod of cr will tell of its creation or deletion by a watch event.
func (e *external) expect(cr *v1alpha1.NodePod) {
	if e.expected != nil {
		e.expected.expect(types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()})
	}
}
