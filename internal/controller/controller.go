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

// Setup adds every controller of the provider to mgr. Each starts once the CRDs it serves and reads exist:
// with Crossplane's safe-start a provider's managed resource definitions may be activated one by one, long
// after the provider starts, and a Crossplane-only installation has no Cluster API CRDs at all.
func Setup(ctx context.Context, mgr ctrl.Manager, o controller.Options, no nodepod.Options, watchFilter string) error {
	if err := customresourcesgate.Setup(mgr, o); err != nil {
		return err
	}
	setupManaged(mgr, o, no)
	setupClusterAPI(ctx, mgr, o, no.Clusters, watchFilter)
	return nil
}

// setupManaged adds the ProviderConfig, NodePod and NodeService controllers once their CRDs exist.
func setupManaged(mgr ctrl.Manager, o controller.Options, no nodepod.Options) {
	log := o.Logger
	configs := []schema.GroupVersionKind{apisv1alpha1.ProviderConfigGroupVersionKind, apisv1alpha1.ClusterProviderConfigGroupVersionKind, apisv1alpha1.ProviderConfigUsageGroupVersionKind}
	o.Gate.Register(func() {
		if err := config.Setup(mgr, o); err != nil {
			log.Info("Cannot set up the ProviderConfig controllers", "error", err)
		}
	}, configs...)
	o.Gate.Register(func() {
		if err := nodepod.Setup(mgr, o, no); err != nil {
			log.Info("Cannot set up the NodePod controller", "error", err)
		}
	}, append(configs, v1alpha1.NodePodGroupVersionKind)...)
	o.Gate.Register(func() {
		if err := nodeservice.Setup(mgr, o, no.Clusters); err != nil {
			log.Info("Cannot set up the NodeService controller", "error", err)
		}
	}, append(configs, v1alpha1.NodeServiceGroupVersionKind, v1alpha1.NodePodGroupVersionKind)...)
}

// setupClusterAPI adds the KubernetesCluster and KubernetesMachine controllers once the Cluster API CRDs and
// the provider's own exist. Each reads through a client that waits for the cache to see its own writes: a
// reconcile that starts right after the previous one wrote would otherwise read the object as it was, and
// its status write would fail with a conflict and be retried.
func setupClusterAPI(ctx context.Context, mgr ctrl.Manager, o controller.Options, clusters *clients.Registry, watchFilter string) {
	log := o.Logger
	copts := o.ForControllerRuntime()
	o.Gate.Register(func() {
		if err := (&kubernetescluster.Reconciler{Client: clients.NewConsistentClient(mgr.GetClient()), Clusters: clusters, WatchFilterValue: watchFilter}).SetupWithManager(ctx, mgr, copts); err != nil {
			log.Info("Cannot set up the KubernetesCluster controller", "error", err)
		}
	}, infrav1.GroupVersion.WithKind("KubernetesCluster"), clusterv1.GroupVersion.WithKind("Cluster"),
		v1alpha1.NodeServiceGroupVersionKind, apisv1alpha1.ProviderConfigGroupVersionKind)
	o.Gate.Register(func() {
		if err := (&kubernetesmachine.Reconciler{Client: clients.NewConsistentClient(mgr.GetClient()), WatchFilterValue: watchFilter}).SetupWithManager(ctx, mgr, copts); err != nil {
			log.Info("Cannot set up the KubernetesMachine controller", "error", err)
		}
	}, infrav1.GroupVersion.WithKind("KubernetesMachine"), infrav1.GroupVersion.WithKind("KubernetesCluster"),
		clusterv1.GroupVersion.WithKind("Machine"), clusterv1.GroupVersion.WithKind("Cluster"), v1alpha1.NodePodGroupVersionKind)
}
