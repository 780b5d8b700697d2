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

package config

import (
	"context"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// usersRecheck is how often a config being deleted looks again for the managed resources that still use it.
const usersRecheck = 2 * time.Second

const (
	errListUsers        = "cannot list the managed resources that use the config"
	errWriteTerminating = "cannot write the config's Terminating condition"
)

// keptWhileUsed holds the deletion of a config while a managed resource that names it exists, and leaves it to
// inner otherwise. crossplane-runtime's config reconciler counts a config's users by their
// ProviderConfigUsages, and the deletion of a namespace deletes those (they have no finalizer) with the config
// and the managed resources, all at once: the config went first, and its managed resources, which need it to
// reach the outer cluster and delete their node Pods and Services, kept their finalizers, and the namespace,
// for ever. The managed resources themselves tell for certain.
type keptWhileUsed struct {
	inner     reconcile.Reconciler
	kube      client.Client
	kind      string
	newConfig func() resource.ProviderConfig
}

func (k keptWhileUsed) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	pc := k.newConfig()
	if err := k.kube.Get(ctx, req.NamespacedName, pc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if !meta.WasDeleted(pc) {
		return k.inner.Reconcile(ctx, req)
	}
	used, err := usedBy(ctx, k.kube, k.kind, pc)
	if err != nil {
		return reconcile.Result{}, errors.Wrap(err, errListUsers)
	}
	if !used {
		return k.inner.Reconcile(ctx, req)
	}
	// What crossplane-runtime's reconciler says of a config its usages keep.
	cond := providerconfig.Terminating().WithMessage("managed resources still name the config; it goes once they are gone")
	if pc.GetCondition(cond.Type).Equal(cond) {
		return reconcile.Result{RequeueAfter: usersRecheck}, nil
	}
	orig, ok := pc.DeepCopyObject().(client.Object)
	if !ok {
		return reconcile.Result{}, errors.New(errWriteTerminating)
	}
	pc.SetConditions(cond)
	return reconcile.Result{RequeueAfter: usersRecheck}, errors.Wrap(k.kube.Status().Patch(ctx, pc, client.MergeFrom(orig)), errWriteTerminating)
}

// usedBy tells whether a NodePod or NodeService names pc, a config of the kind given: in its namespace for a
// ProviderConfig, in any for a ClusterProviderConfig.
func usedBy(ctx context.Context, kube client.Client, kind string, pc resource.ProviderConfig) (bool, error) {
	var opts []client.ListOption
	if ns := pc.GetNamespace(); ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	names := func(ref *xpv2.ProviderConfigReference) bool {
		return ref != nil && ref.Name == pc.GetName() && ref.Kind == kind
	}
	pods := &kindnodev1alpha1.NodePodList{}
	if err := kube.List(ctx, pods, opts...); err != nil {
		return false, err
	}
	for i := range pods.Items {
		if names(pods.Items[i].GetProviderConfigReference()) {
			return true, nil
		}
	}
	services := &kindnodev1alpha1.NodeServiceList{}
	if err := kube.List(ctx, services, opts...); err != nil {
		return false, err
	}
	for i := range services.Items {
		if names(services.Items[i].GetProviderConfigReference()) {
			return true, nil
		}
	}
	return false, nil
}
