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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// ClusterFinalizer lets the controller remove a KubernetesCluster's outer objects before it goes.
const ClusterFinalizer = "kubernetescluster.infrastructure.cluster.x-k8s.io"

// APIEndpoint is where the inner cluster's API server is reached.
type APIEndpoint struct {
	// Host is the endpoint's address or DNS name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="isIP(self) || self.matches('^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?([.][A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*[.]?$')",message="controlPlaneEndpoint.host must be an IP address or a DNS name"
	// +optional
	Host string `json:"host,omitempty"`

	// Port is the endpoint's port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
}

// IsZero reports whether the endpoint is not set.
func (e APIEndpoint) IsZero() bool { return e.Host == "" && e.Port == 0 }

// KubeconfigSecretReference names a Secret holding a kubeconfig.
type KubeconfigSecretReference struct {
	// Name of the Secret, in the KubernetesCluster's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// Key of the kubeconfig in the Secret.
	// +kubebuilder:default=kubeconfig
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	Key string `json:"key,omitempty"`
}

// KubernetesClusterSpec is the desired state of a KubernetesCluster.
type KubernetesClusterSpec struct {
	// ControlPlaneEndpoint is set by the controller from the endpoint Service; set it only to pin an address
	// that reaches that Service from outside.
	// +optional
	ControlPlaneEndpoint APIEndpoint `json:"controlPlaneEndpoint,omitempty,omitzero"`

	// ControlPlaneServiceType is the type of the endpoint Service. ClusterIP reaches the inner API server only
	// from inside the outer cluster, which is enough when the management cluster is the outer cluster.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +kubebuilder:default=ClusterIP
	// +optional
	ControlPlaneServiceType corev1.ServiceType `json:"controlPlaneServiceType,omitempty"`

	// InfraClusterSecretRef names a Secret with the kubeconfig of the outer cluster that runs the node Pods.
	// Unset means the management cluster itself.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="infraClusterSecretRef is immutable"
	// +optional
	InfraClusterSecretRef *KubeconfigSecretReference `json:"infraClusterSecretRef,omitempty"`

	// FailureDomains of the outer cluster the cluster's machines may be spread across, each a set of its
	// Nodes. Unset means they are discovered: one per value of the outer Nodes' topology.kubernetes.io/zone
	// label. Either way they are published in status.failureDomains, from which Cluster API picks one for
	// each Machine.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +optional
	FailureDomains []FailureDomainSpec `json:"failureDomains,omitempty"`
}

// FailureDomainSpec is a failure domain of the outer cluster: the Nodes its selector picks.
type FailureDomainSpec struct {
	// Name of the failure domain, as a Machine's spec.failureDomain names it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`

	// ControlPlane says whether control-plane Machines may be placed in the failure domain.
	// +kubebuilder:default=true
	// +optional
	ControlPlane *bool `json:"controlPlane,omitempty"`

	// NodeSelector picks the outer cluster's Nodes that make up the failure domain. The node Pod of a Machine
	// placed in the failure domain must run on one of them (a required node affinity).
	// +required
	NodeSelector NodeLabelSelector `json:"nodeSelector"`
}

// NodeLabelSelector selects outer Nodes by their labels; it reads as a metav1.LabelSelector does. It is a
// type of its own so that its lists and maps are bounded: the API server refuses CEL rules whose worst-case
// cost over unbounded ones exceeds its budget, and without those rules a bad label key would only be found
// once a node Pod is built.
// +kubebuilder:validation:XValidation:rule="(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",message="nodeSelector must select by at least one label: a failure domain of every Node separates nothing"
type NodeLabelSelector struct {
	// MatchLabels are label keys and values a Node must have, each an In requirement.
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="matchLabels keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`

	// MatchExpressions are requirements on a Node's labels; all must hold.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	MatchExpressions []NodeLabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// NodeLabelSelectorRequirement is a requirement on a Node's label, as in a metav1.LabelSelector.
// +kubebuilder:validation:XValidation:rule="self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",message="values must be given for the operators In and NotIn, and only for them"
type NodeLabelSelectorRequirement struct {
	// Key is the label key the requirement applies to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`
	Key string `json:"key"`

	// Operator relates the key to the values.
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist
	Operator metav1.LabelSelectorOperator `json:"operator"`

	// Values of the label for In and NotIn; empty for Exists and DoesNotExist.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Values []LabelValue `json:"values,omitempty"`
}

// LabelValue is the value of a label.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// KubernetesClusterInitializationStatus is the initialization status the Cluster API contract asks for.
// +kubebuilder:validation:MinProperties=1
type KubernetesClusterInitializationStatus struct {
	// Provisioned is true once the endpoint Service exists and has an address.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// KubernetesClusterStatus is the observed state of a KubernetesCluster.
type KubernetesClusterStatus struct {
	// Conditions: Ready, the summary of ControlPlaneEndpointReady; FailureDomainsReady; Paused.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Initialization tells Cluster API when the infrastructure is ready.
	// +optional
	Initialization KubernetesClusterInitializationStatus `json:"initialization,omitempty,omitzero"`

	// FailureDomains the cluster's machines may be spread across: those of spec.failureDomains, or the zones of
	// the outer cluster's Nodes when that is unset.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +optional
	FailureDomains []clusterv1.FailureDomain `json:"failureDomains,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kubernetesclusters,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Endpoint",type="string",JSONPath=".spec.controlPlaneEndpoint.host",description="Control-plane endpoint"
// +kubebuilder:printcolumn:name="Provisioned",type="boolean",JSONPath=".status.initialization.provisioned"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// KubernetesCluster is the infrastructure of a Cluster API cluster whose nodes are Pods in an outer cluster:
// a NodeService that is the control-plane endpoint.
type KubernetesCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KubernetesClusterSpec   `json:"spec,omitempty"`
	Status KubernetesClusterStatus `json:"status,omitempty"`
}

// ProviderConfigName is the name of the ProviderConfig, in the cluster's namespace, a KubernetesCluster creates
// for the managed resources that realise it and its KubernetesMachines: the cluster's own name.
func (c *KubernetesCluster) ProviderConfigName() string { return c.Name }

// GetConditions returns the conditions of the KubernetesCluster.
func (c *KubernetesCluster) GetConditions() []metav1.Condition { return c.Status.Conditions }

// SetConditions sets the conditions of the KubernetesCluster.
func (c *KubernetesCluster) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KubernetesClusterList contains a list of KubernetesCluster.
type KubernetesClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KubernetesCluster `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KubernetesCluster{}, &KubernetesClusterList{})
}
