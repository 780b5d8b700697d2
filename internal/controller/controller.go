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
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/customresourcesgate"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/config"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodepod"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodeservice"
)

// SetupManaged adds the ProviderConfig, NodePod and NodeService controllers to mgr.
func SetupManaged(mgr ctrl.Manager, o controller.Options, no nodepod.Options) error {
	if err := config.Setup(mgr, o); err != nil {
		return err
	}
	if err := nodepod.Setup(mgr, o, no); err != nil {
		return err
	}
	return nodeservice.Setup(mgr, o, no.Clusters)
}

// SetupManagedGated adds the same controllers once their CRDs exist: with Crossplane's safe-start, a
// provider's managed resource definitions may be activated one by one, long after the provider starts.
func SetupManagedGated(mgr ctrl.Manager, o controller.Options, no nodepod.Options) error {
	if err := customresourcesgate.Setup(mgr, o); err != nil {
		return err
	}
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
	}, append(configs, v1alpha1.NodeServiceGroupVersionKind)...)
	return nil
}
