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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// KubernetesClusterTemplateResource is the KubernetesCluster a template stamps out.
type KubernetesClusterTemplateResource struct {
	// ObjectMeta is copied to the KubernetesCluster. Its keys are checked with a shorter pattern than a label
	// selector's, which the API server's cost budget for CEL rules over Cluster API's unbounded maps allows.
	// +kubebuilder:validation:XValidation:rule="!has(self.labels) || self.labels.all(k, k.matches('^([-a-z0-9.]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))",message="metadata.labels keys must be label keys: an optional DNS subdomain and '/', then a name of letters, digits, '-', '_' or '.'"
	// +kubebuilder:validation:XValidation:rule="!has(self.annotations) || self.annotations.all(k, k.matches('^([-a-z0-9.]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))",message="metadata.annotations keys must be annotation keys: an optional DNS subdomain and '/', then a name of letters, digits, '-', '_' or '.'"
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec of the KubernetesCluster.
	Spec KubernetesClusterSpec `json:"spec"`
}

// KubernetesClusterTemplateSpec is the desired state of a KubernetesClusterTemplate.
type KubernetesClusterTemplateSpec struct {
	// Template is the KubernetesCluster to create. Templates are immutable: ClusterClass rotates them.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="KubernetesClusterTemplate spec.template is immutable; create a new template instead"
	Template KubernetesClusterTemplateResource `json:"template"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kubernetesclustertemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// KubernetesClusterTemplate is a template for KubernetesClusters, as ClusterClass uses them.
type KubernetesClusterTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec KubernetesClusterTemplateSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// KubernetesClusterTemplateList contains a list of KubernetesClusterTemplate.
type KubernetesClusterTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KubernetesClusterTemplate `json:"items"`
}

// KubernetesMachineTemplateResource is the KubernetesMachine a template stamps out.
type KubernetesMachineTemplateResource struct {
	// ObjectMeta is copied to the KubernetesMachine (keys checked as the KubernetesCluster's above).
	// +kubebuilder:validation:XValidation:rule="!has(self.labels) || self.labels.all(k, k.matches('^([-a-z0-9.]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))",message="metadata.labels keys must be label keys: an optional DNS subdomain and '/', then a name of letters, digits, '-', '_' or '.'"
	// +kubebuilder:validation:XValidation:rule="!has(self.annotations) || self.annotations.all(k, k.matches('^([-a-z0-9.]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'))",message="metadata.annotations keys must be annotation keys: an optional DNS subdomain and '/', then a name of letters, digits, '-', '_' or '.'"
	// +optional
	ObjectMeta clusterv1.ObjectMeta `json:"metadata,omitempty,omitzero"`

	// Spec of the KubernetesMachine.
	Spec KubernetesMachineSpec `json:"spec"`
}

// KubernetesMachineTemplateSpec is the desired state of a KubernetesMachineTemplate.
type KubernetesMachineTemplateSpec struct {
	// Template is the KubernetesMachine to create. Templates are immutable: roll out changes with a new one.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="KubernetesMachineTemplate spec.template is immutable; create a new template instead"
	Template KubernetesMachineTemplateResource `json:"template"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kubernetesmachinetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// KubernetesMachineTemplate is a template for KubernetesMachines, as MachineDeployments and
// KubeadmControlPlanes use them.
type KubernetesMachineTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec KubernetesMachineTemplateSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// KubernetesMachineTemplateList contains a list of KubernetesMachineTemplate.
type KubernetesMachineTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KubernetesMachineTemplate `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KubernetesClusterTemplate{}, &KubernetesClusterTemplateList{})
	SchemeBuilder.Register(&KubernetesMachineTemplate{}, &KubernetesMachineTemplateList{})
}
