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

package controller

import (
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ClientOptions are the options of the manager's client. Secrets are read from the API server, one by name
// where a controller needs it: a NodePod's bootstrap data when its bootstrap is about to start, the kubeconfig
// of a provider config's Secret credentials, a connection Secret before it is published. Through the cache,
// the first read would inform on every Secret of the cluster, holding all of them, however many and however
// unrelated, in the provider's memory, and need list and watch on Secrets cluster-wide. ConfigMaps, which no
// controller reads yet, are read the same way, so that a first read does not start such an informer either.
// Cluster API's kubeadm control plane does the same (its ManagerClientOptions); the Secrets it caches, for a
// client of their own, are those labeled with a cluster's name, which the Secrets a provider config or a
// NodePod names need not carry.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}}}}
}

// CacheByObject are the cache settings of the kinds the controllers read in a form of their own: Setup's CRD
// gate watches every CustomResourceDefinition in the cluster but reads only which kinds and versions each
// serves and whether it is established, while the schemas it would otherwise hold make up nearly all of a CRD,
// megabytes once Cluster API's and Crossplane's are installed.
func CacheByObject() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&apiextensionsv1.CustomResourceDefinition{}: {Transform: StripCRDSchemas},
	}
}

// StripCRDSchemas is a cache transform that drops the managed fields of a CustomResourceDefinition and what its
// versions say of their objects: schemas, printer columns, subresources and selectable fields. Other objects
// lose their managed fields only.
func StripCRDSchemas(obj any) (any, error) {
	obj, err := cache.TransformStripManagedFields()(obj)
	if err != nil {
		return obj, err
	}
	crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
	if !ok {
		return obj, nil
	}
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		v.Schema, v.AdditionalPrinterColumns, v.Subresources, v.SelectableFields = nil, nil, nil, nil
	}
	crd.Spec.Conversion = nil
	return crd, nil
}
