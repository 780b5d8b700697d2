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

package kindcluster

import (
	"github.com/crossplane/function-sdk-go/resource"
)

// Status is what the function reports in a KindCluster's status, as its XRD defines it.
type Status struct {
	// Endpoint is the inner API server's URL, once known.
	Endpoint string `json:"endpoint,omitempty"`
	// Ready is true when every node is ready and the kubeconfig Secret exists.
	Ready bool `json:"ready"`
	// KubeconfigSecretName names the Secret, in the KindCluster's namespace, whose key "value" holds an admin
	// kubeconfig of the inner cluster. Set once the Secret exists.
	KubeconfigSecretName string `json:"kubeconfigSecretName,omitempty"`
	// ControlPlane counts the control-plane nodes.
	ControlPlane NodeCount `json:"controlPlane"`
	// Workers counts the worker nodes.
	Workers NodeCount `json:"workers"`
	// Message says what the cluster is waiting for, while it is not ready.
	Message string `json:"message,omitempty"`
}

// NodeCount is how many nodes of a role are wanted and how many are ready.
type NodeCount struct {
	Desired int32 `json:"desired"`
	Ready   int32 `json:"ready"`
}

// Output is what a mode wants composed and reports.
type Output struct {
	// Resources are the desired composed resources by their names in the composition.
	Resources map[resource.Name]*resource.DesiredComposed
	// Status of the KindCluster.
	Status Status
	// Warnings are shown as warning events on the KindCluster.
	Warnings []string
}

// kubeconfigSecretName is where the inner cluster's admin kubeconfig lives, in both modes: Cluster API
// writes <cluster>-kubeconfig, and the direct mode uses the same name.
func kubeconfigSecretName(c Cluster) string { return c.Name + "-kubeconfig" }
