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

// Package apis registers every API group of the provider.
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
)

// AddToSchemes holds the functions that add every API of the provider to a scheme, and the Cluster API core
// kinds its infrastructure controllers read.
var AddToSchemes = runtime.SchemeBuilder{
	v1alpha1.AddToScheme,
	kindnodev1alpha1.AddToScheme,
	infrav1.AddToScheme,
	clusterv1.AddToScheme,
}

// AddToScheme adds every API of the provider to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	return AddToSchemes.AddToScheme(s)
}
