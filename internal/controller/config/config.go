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

// Package config reconciles ProviderConfigs and ClusterProviderConfigs by accounting for their users, so a
// config that is in use cannot go away.
package config

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
)

// usageDebounce is how long a config waits to count its users after one of them came or went. Every managed
// resource creates a usage when first reconciled and the garbage collector deletes it after the resource is
// gone; counting once for all of a burst spares a config write per managed resource.
const usageDebounce = time.Second

// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigs;clusterproviderconfigs,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigs/status;clusterproviderconfigs/status,verbs=update
// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigusages,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Setup adds the controllers of both ProviderConfig kinds. Managed resources are namespaced, so their usages
// are ProviderConfigUsages whichever kind of config they reference. crossplane-runtime's config reconciler
// lists a config's usages (deleting those no managed resource controls), updates the config's finalizer and
// its status (the user count), and records events.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	if err := setup(mgr, o, v1alpha1.ProviderConfigGroupKind, v1alpha1.ProviderConfigGroupVersionKind, &v1alpha1.ProviderConfig{}); err != nil {
		return err
	}
	return setup(mgr, o, v1alpha1.ClusterProviderConfigGroupKind, v1alpha1.ClusterProviderConfigGroupVersionKind, &v1alpha1.ClusterProviderConfig{})
}

func setup(mgr ctrl.Manager, o controller.Options, groupKind string, gvk schema.GroupVersionKind, pc client.Object) error {
	name := providerconfig.ControllerName(groupKind)
	of := resource.ProviderConfigKinds{
		Config:    gvk,
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	}
	newConfig := func() resource.ProviderConfig {
		return pc.DeepCopyObject().(resource.ProviderConfig) //nolint:forcetypeassert // both config kinds are ProviderConfigs.
	}
	// Only writes that change the config or its user count reach the API server.
	r := providerconfig.NewReconciler(reconciler.WithClient(mgr, clients.NewConsistentClient(mgr.GetClient())), of,
		providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
		providerconfig.WithRecorder(xpevent.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime's recorder still takes the legacy events API.

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(pc).
		Watches(&v1alpha1.ProviderConfigUsage{}, debounced{inner: &resource.EnqueueRequestForProviderConfig{Kind: gvk.Kind}, after: usageDebounce}).
		Complete(ratelimiter.NewReconciler(name, checkingCredentials{
			inner: keptWhileUsed{inner: r, kube: mgr.GetClient(), kind: gvk.Kind, newConfig: newConfig}, kube: mgr.GetClient(), newConfig: newConfig,
		}, o.GlobalRateLimiter))
}

// debounced enqueues what inner enqueues, after a delay: requests for the same object within it make one.
type debounced struct {
	inner handler.EventHandler
	after time.Duration
}

func (d debounced) Create(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	d.inner.Create(ctx, e, delayed{q, d.after})
}

func (d debounced) Update(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	d.inner.Update(ctx, e, delayed{q, d.after})
}

func (d debounced) Delete(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	d.inner.Delete(ctx, e, delayed{q, d.after})
}

func (d debounced) Generic(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	d.inner.Generic(ctx, e, delayed{q, d.after})
}

// delayed turns a queue's Add into AddAfter.
type delayed struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	after time.Duration
}

func (d delayed) Add(r reconcile.Request) { d.AddAfter(r, d.after) }
