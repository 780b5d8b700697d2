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

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// MachineFinalizer lets the controller remove a KubernetesMachine's node Pod before it goes.
const MachineFinalizer = "kubernetesmachine.infrastructure.cluster.x-k8s.io"

// KubernetesMachineSpec is the desired state of a KubernetesMachine.
type KubernetesMachineSpec struct {
	// ProviderID is kubernetes://<namespace>/<pod>; the controller sets it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^kubernetes://[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$`
	// +optional
	ProviderID string `json:"providerID,omitempty"`

	// Image overrides the kind node image chosen from the Machine's Kubernetes version (see the NodePod's
	// forProvider.image).
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^(([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$`
	// +optional
	Image string `json:"image,omitempty"`

	// Resources of the node container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector places the node Pod on matching outer nodes.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="nodeSelector keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the node Pod.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator in ['Equal', 'Exists'])",message="tolerations operator must be Equal or Exists"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.effect) || t.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])",message="tolerations effect must be NoSchedule, PreferNoSchedule or NoExecute, or empty for all three"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator != 'Exists' || !has(t.value) || t.value == '')",message="tolerations value must be empty when operator is Exists"
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the node Pod. A Machine placed in a failure domain adds a required node affinity for it to
	// this one. The node Pods of a cluster prefer outer nodes apart from the cluster's other node Pods of their
	// role unless podAntiAffinity is set here (see the NodePod's forProvider.affinity).
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the node Pod; they replace the default one that spreads the cluster's node
	// Pods of a role across zones (see the NodePod's forProvider.topologySpreadConstraints).
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.maxSkew > 0)",message="topologySpreadConstraints maxSkew must be at least 1"
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.whenUnsatisfiable in ['DoNotSchedule', 'ScheduleAnyway'])",message="topologySpreadConstraints whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"
	// +listType=atomic
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// DisableDefaultCNI leaves the node image's default pod network out of the node (see the NodePod's
	// forProvider.disableDefaultCNI): the cluster brings its own CNI, for example by a ClusterResourceSet as the
	// crs-cni flavor does. Set it on every machine of a cluster.
	// +optional
	DisableDefaultCNI bool `json:"disableDefaultCNI,omitempty"`

	// Persistence keeps etcd (control-plane machines) and containerd state on PersistentVolumeClaims, so a
	// recreated node Pod comes back with it.
	// +optional
	Persistence *kindnodev1alpha1.Persistence `json:"persistence,omitempty"`

	// ExtraVolumes are mounted into the node container.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +optional
	ExtraVolumes []kindnodev1alpha1.ExtraVolume `json:"extraVolumes,omitempty"`
}

// KubernetesMachineInitializationStatus is the initialization status the Cluster API contract asks for.
// +kubebuilder:validation:MinProperties=1
type KubernetesMachineInitializationStatus struct {
	// Provisioned is true once the node Pod runs and its bootstrap completed.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// KubernetesMachineStatus is the observed state of a KubernetesMachine.
type KubernetesMachineStatus struct {
	// Conditions: Ready, the summary of NodePodReady; NodePodReady; Bootstrapped; Paused.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Initialization tells Cluster API when the machine is ready.
	// +optional
	Initialization KubernetesMachineInitializationStatus `json:"initialization,omitempty,omitzero"`

	// Addresses of the node: the Pod IP as InternalIP, the Pod name as Hostname.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Addresses []clusterv1.MachineAddress `json:"addresses,omitempty"`

	// FailureDomain the machine runs in: its Machine's spec.failureDomain, to which its node Pod is pinned.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	FailureDomain string `json:"failureDomain,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:path=kubernetesmachines,scope=Namespaced,categories=cluster-api
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:metadata:labels="cluster.x-k8s.io/v1beta2=v1alpha1"
// +kubebuilder:printcolumn:name="Cluster",type="string",JSONPath=".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",description="Cluster"
// +kubebuilder:printcolumn:name="Machine",type="string",JSONPath=".metadata.ownerReferences[?(@.kind==\"Machine\")].name",description="Machine"
// +kubebuilder:printcolumn:name="ProviderID",type="string",JSONPath=".spec.providerID"
// +kubebuilder:printcolumn:name="Provisioned",type="boolean",JSONPath=".status.initialization.provisioned"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"

// KubernetesMachine is the infrastructure of a Cluster API machine: a NodePod, a kind node running as a Pod
// in the outer cluster.
type KubernetesMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   KubernetesMachineSpec   `json:"spec,omitempty"`
	Status KubernetesMachineStatus `json:"status,omitempty"`
}

// GetConditions returns the conditions of the KubernetesMachine.
func (m *KubernetesMachine) GetConditions() []metav1.Condition { return m.Status.Conditions }

// SetConditions sets the conditions of the KubernetesMachine.
func (m *KubernetesMachine) SetConditions(conditions []metav1.Condition) {
	m.Status.Conditions = conditions
}

// +kubebuilder:object:root=true

// KubernetesMachineList contains a list of KubernetesMachine.
type KubernetesMachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KubernetesMachine `json:"items"`
}

func init() {
	SchemeBuilder.Register(&KubernetesMachine{}, &KubernetesMachineList{})
}
