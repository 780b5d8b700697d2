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

package reconciler

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

const (
	errNewManaged  = "cannot make an object of kind %s"
	errManagedType = "kind %s is a %T, not a %T"
)

// A ManagedController is the controller of a managed resource kind as the provider sets up every one: its
// reads wait for its own writes (clients.ConsistentClient), its managed reconciler writes the managed
// resource only when it must (DeterministicOptions, FinalizeOnCreate), and its own bookkeeping wakes no
// reconcile (DesiredStateChanged). A kind adds its own watches to Builder and completes it with Reconciler,
// or a wrapper of it, under the global rate limit.
type ManagedController struct {
	// Name is the controller's name.
	Name string
	// Reconciler is the managed reconciler, before rate limiting.
	Reconciler reconcile.Reconciler
	// Builder is named, has the controller options and the event filter, and watches the kind.
	Builder *builder.Builder
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create;patch
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods/finalizers;nodeservices/finalizers,verbs=update

// NewManagedController returns the controller of the managed resources of kind gvk, whose external clients
// connect builds from the controller's client. The managed reconciler publishes the connection details of a
// managed resource with spec.writeConnectionSecretToRef to that Secret (reading it, then creating or patching
// it), which the managed resource controls: an owner reference that blocks the owner's deletion needs the
// owner's finalizers subresource.
func NewManagedController[T resource.Managed](mgr ctrl.Manager, o controller.Options, gvk schema.GroupVersionKind, connect func(kube client.Client) managed.TypedExternalConnector[T]) (*ManagedController, error) {
	obj, err := mgr.GetScheme().New(gvk)
	if err != nil {
		return nil, errors.Wrapf(err, errNewManaged, gvk)
	}
	mg, ok := obj.(T)
	if !ok {
		return nil, errors.Errorf(errManagedType, gvk, obj, mg)
	}
	name := managed.ControllerName(gvk.GroupKind().String())
	kube := clients.NewConsistentClient(mgr.GetClient())
	rmgr := WithClient(mgr, kube)
	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector(FinalizeOnCreate(connect(kube), managed.FinalizerName)),
	}
	opts = append(opts, ManagedOptions(rmgr, o, name)...)
	opts = append(opts, DeterministicOptions(kube)...)
	return &ManagedController{
		Name:       name,
		Reconciler: managed.NewReconciler(rmgr, resource.ManagedKind(gvk), opts...),
		Builder: ctrl.NewControllerManagedBy(mgr).
			Named(name).
			WithOptions(o.ForControllerRuntime()).
			WithEventFilter(DesiredStateChanged()).
			For(mg),
	}, nil
}
