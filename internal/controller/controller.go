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

// Package controller sets up every controller of the provider.
package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/config"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/kubernetescluster"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/kubernetesmachine"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodepod"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodeservice"
)

// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// Setup adds every controller of the provider to mgr. Each starts once the CRDs it serves and reads exist:
// with Crossplane's safe-start a provider's managed resource definitions may be activated one by one, long
// after the provider starts, and a Crossplane-only installation has no Cluster API CRDs at all. A controller
// that cannot be set up then stops mgr with the error: a provider without one of its controllers must not
// run on as if healthy.
//
// The gate watches CustomResourceDefinitions.
func Setup(ctx context.Context, mgr ctrl.Manager, o controller.Options, no nodepod.Options, watchFilter string) error {
	if err := customresourcesgate.Setup(mgr, o); err != nil {
		return err
	}
	failed := make(setupFailures, 1)
	if err := mgr.Add(failed); err != nil {
		return err
	}
	setupManaged(mgr, o, no, failed)
	setupClusterAPI(ctx, mgr, o, no.Clusters, watchFilter, failed)
	return nil
}

// setupFailures carries the first gated set-up failure to the manager, which stops with it: gated set-ups run
// in the gate's goroutine, long after Setup returned. provider-template panics there instead.
type setupFailures chan error

// Start returns the first failure, or nothing once ctx ends.
func (f setupFailures) Start(ctx context.Context) error {
	select {
	case err := <-f:
		return err
	case <-ctx.Done():
		return nil
	}
}

// fail reports err, wrapped with what could not be set up, unless a failure is reported already.
func (f setupFailures) fail(err error, what string) {
	if err == nil {
		return
	}
	select {
	case f <- errors.Wrapf(err, "cannot set up the %s", what):
	default:
	}
}

// setupManaged adds the ProviderConfig, NodePod and NodeService controllers once their CRDs exist.
func setupManaged(mgr ctrl.Manager, o controller.Options, no nodepod.Options, failed setupFailures) {
	configs := []schema.GroupVersionKind{apisv1alpha1.ProviderConfigGroupVersionKind, apisv1alpha1.ClusterProviderConfigGroupVersionKind, apisv1alpha1.ProviderConfigUsageGroupVersionKind}
	o.Gate.Register(func() {
		failed.fail(config.Setup(mgr, o), "ProviderConfig controllers")
	}, configs...)
	o.Gate.Register(func() {
		failed.fail(nodepod.Setup(mgr, o, no), "NodePod controller")
	}, append(configs, v1alpha1.NodePodGroupVersionKind)...)
	o.Gate.Register(func() {
		failed.fail(nodeservice.Setup(mgr, o, no.Clusters), "NodeService controller")
	}, append(configs, v1alpha1.NodeServiceGroupVersionKind, v1alpha1.NodePodGroupVersionKind)...)
}

// setupClusterAPI adds the KubernetesCluster and KubernetesMachine controllers once the Cluster API CRDs and
// the provider's own exist. Each reads through a client that waits for the cache to see its own writes: a
// reconcile that starts right after the previous one wrote would otherwise read the object as it was, and
// its status write would fail with a conflict and be retried.
func setupClusterAPI(ctx context.Context, mgr ctrl.Manager, o controller.Options, clusters *clients.Registry, watchFilter string, failed setupFailures) {
	copts := o.ForControllerRuntime()
	o.Gate.Register(func() {
		failed.fail((&kubernetescluster.Reconciler{Client: clients.NewConsistentClient(mgr.GetClient()), Clusters: clusters, WatchFilterValue: watchFilter}).SetupWithManager(ctx, mgr, copts),
			"KubernetesCluster controller")
	}, infrav1.GroupVersion.WithKind("KubernetesCluster"), clusterv1.GroupVersion.WithKind("Cluster"),
		v1alpha1.NodeServiceGroupVersionKind, apisv1alpha1.ProviderConfigGroupVersionKind)
	o.Gate.Register(func() {
		failed.fail((&kubernetesmachine.Reconciler{Client: clients.NewConsistentClient(mgr.GetClient()), WatchFilterValue: watchFilter}).SetupWithManager(ctx, mgr, copts),
			"KubernetesMachine controller")
	}, infrav1.GroupVersion.WithKind("KubernetesMachine"), infrav1.GroupVersion.WithKind("KubernetesCluster"),
		clusterv1.GroupVersion.WithKind("Machine"), clusterv1.GroupVersion.WithKind("Cluster"), v1alpha1.NodePodGroupVersionKind)
}
