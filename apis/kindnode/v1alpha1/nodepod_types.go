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
	"reflect"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NodeRole is the role a kind node plays in its inner cluster.
// +kubebuilder:validation:Enum=ControlPlane;Worker
type NodeRole string

// Node roles.
const (
	NodeRoleControlPlane NodeRole = "ControlPlane"
	NodeRoleWorker       NodeRole = "Worker"
)

// UpdatePolicy says what happens when forProvider changes a part of the Pod that a Pod cannot change in place.
// +kubebuilder:validation:Enum=Recreate;Report
type UpdatePolicy string

// Update policies.
const (
	// UpdatePolicyRecreate deletes the Pod and creates it again from the new forProvider. Data on emptyDir
	// volumes is lost; data on persistent volumes is kept.
	UpdatePolicyRecreate UpdatePolicy = "Recreate"
	// UpdatePolicyReport leaves the running Pod alone and reports the difference in the PodUpToDate condition.
	UpdatePolicyReport UpdatePolicy = "Report"
)

// BootstrapFailurePolicy says what happens when a step of a node's bootstrap fails.
// +kubebuilder:validation:Enum=Retry;Fail
type BootstrapFailurePolicy string

// Bootstrap failure policies.
const (
	// BootstrapFailurePolicyRetry runs the failed step again a minute after it failed, and the run goes on from
	// there; the steps that succeeded do not run again.
	BootstrapFailurePolicyRetry BootstrapFailurePolicy = "Retry"
	// BootstrapFailurePolicyFail leaves the node as the failure left it, Bootstrapped False with reason
	// BootstrapFailed, for a person or a MachineHealthCheck to replace.
	BootstrapFailurePolicyFail BootstrapFailurePolicy = "Fail"
)

// PodLossPolicy says what happens when a node Pod that ran goes away without the NodePod asking for it
// (deleted by hand, evicted, or lost with its outer node).
// +kubebuilder:validation:Enum=Recreate;Report
type PodLossPolicy string

// Pod loss policies.
const (
	// PodLossPolicyRecreate creates the Pod again from forProvider (and from its persistent volumes, if any);
	// it boots and runs the bootstrap data again.
	PodLossPolicyRecreate PodLossPolicy = "Recreate"
	// PodLossPolicyReport creates no new Pod: Ready turns False with reason PodLost, so that whoever owns the
	// node replaces it (Cluster API's MachineHealthCheck and KubeadmControlPlane do, for a Machine). A
	// kubeadm control-plane node that boots again from its bootstrap data would join etcd as a second
	// member of the same name.
	PodLossPolicyReport PodLossPolicy = "Report"
)

// ReclaimPolicy says what happens to a node's PersistentVolumeClaims when the NodePod is deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type ReclaimPolicy string

// Reclaim policies.
const (
	ReclaimPolicyDelete ReclaimPolicy = "Delete"
	ReclaimPolicyRetain ReclaimPolicy = "Retain"
)

// VolumeClaim describes a PersistentVolumeClaim the node Pod mounts instead of an emptyDir.
type VolumeClaim struct {
	// StorageClassName of the claim; the outer cluster's default class when unset.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`

	// Size of the claim.
	// +kubebuilder:validation:XValidation:rule="!isQuantity(string(self)) || quantity(string(self)).isGreaterThan(quantity('0'))",message="size must be more than 0"
	Size resource.Quantity `json:"size"`

	// AccessModes of the claim.
	// +kubebuilder:default={"ReadWriteOnce"}
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:items:Enum=ReadWriteOnce;ReadOnlyMany;ReadWriteMany;ReadWriteOncePod
	// +optional
	AccessModes []corev1.PersistentVolumeAccessMode `json:"accessModes,omitempty"`
}

// Persistence keeps a node's state on PersistentVolumeClaims so that a recreated Pod comes back with it.
type Persistence struct {
	// Etcd backs /var/lib/etcd; control-plane nodes only. With it the node keeps its identity when its Pod
	// is recreated: /etc/kubernetes, /var/lib/kubelet and the record of its bootstrap live on the same claim,
	// and the node gets an address Service (named after its Pod) whose ClusterIP bootstrap data reads as
	// {{ ds.meta_data.local_ipv4 }} and should advertise, since a recreated Pod has a new IP.
	// +optional
	Etcd *VolumeClaim `json:"etcd,omitempty"`

	// Containerd backs /var/lib/containerd (images and container layers).
	// +optional
	Containerd *VolumeClaim `json:"containerd,omitempty"`

	// ReclaimPolicy says whether the claims are deleted with the NodePod.
	// +kubebuilder:default=Delete
	// +optional
	ReclaimPolicy ReclaimPolicy `json:"reclaimPolicy,omitempty"`
}

// ExtraVolume is a volume mounted into the node container in addition to the ones every kind node needs.
// The rule names every source of corev1.VolumeSource (a test checks that it still does).
// +kubebuilder:validation:XValidation:rule="[has(self.hostPath), has(self.emptyDir), has(self.gcePersistentDisk), has(self.awsElasticBlockStore), has(self.gitRepo), has(self.secret), has(self.nfs), has(self.iscsi), has(self.glusterfs), has(self.persistentVolumeClaim), has(self.rbd), has(self.flexVolume), has(self.cinder), has(self.cephfs), has(self.flocker), has(self.downwardAPI), has(self.fc), has(self.azureFile), has(self.configMap), has(self.vsphereVolume), has(self.quobyte), has(self.azureDisk), has(self.photonPersistentDisk), has(self.projected), has(self.portworxVolume), has(self.scaleIO), has(self.storageos), has(self.csi), has(self.ephemeral), has(self.image)].exists_one(s, s)",message="an extra volume needs exactly one volume source, such as hostPath, emptyDir, configMap, secret or persistentVolumeClaim"
type ExtraVolume struct {
	// Name of the volume; must not clash with the node's own volumes.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// MountPath inside the node container.
	// +kubebuilder:validation:Pattern=`^/`
	MountPath string `json:"mountPath"`

	// ReadOnly mounts the volume read-only.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`

	// VolumeSource is the volume's source, as in a Pod spec.
	corev1.VolumeSource `json:",inline"`
}

// BootstrapDataSecretReference points at the Secret holding a node's bootstrap data.
type BootstrapDataSecretReference struct {
	// Name of the Secret, in the NodePod's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`

	// Key in the Secret's data that holds the bootstrap data.
	// +kubebuilder:default=value
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	Key string `json:"key,omitempty"`
}

// NodePodParameters are the configurable fields of a NodePod.
// +kubebuilder:validation:XValidation:rule="has(self.kubernetesVersion) || has(self.image)",message="one of kubernetesVersion or image is required"
// +kubebuilder:validation:XValidation:rule="!has(self.persistence) || !has(self.persistence.etcd) || self.role == 'ControlPlane'",message="persistence.etcd is only valid for role ControlPlane"
// +kubebuilder:validation:XValidation:rule="!(has(self.podLossPolicy) && self.podLossPolicy == 'Report' && has(self.updatePolicy) && self.updatePolicy == 'Recreate')",message="podLossPolicy Report cannot be combined with updatePolicy Recreate: a Pod replaced for an update would be taken for a lost one"
type NodePodParameters struct {
	// ClusterName is the inner cluster this node belongs to. It labels the Pod so that the cluster's
	// NodeService routes to it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterName is immutable"
	ClusterName string `json:"clusterName"`

	// Namespace of the Pod in the outer cluster; the NodePod's own namespace when unset.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="namespace is immutable"
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Role of the node in its inner cluster. Control-plane Pods get a readiness probe on the API server port.
	// +kubebuilder:default=Worker
	// +optional
	Role NodeRole `json:"role,omitempty"`

	// KubernetesVersion selects the kind node image, for example v1.37.2.
	// +kubebuilder:validation:Pattern=`^v[0-9]+\.[0-9]+\.[0-9]+$`
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// Image overrides the kind node image chosen from kubernetesVersion: a reference such as
	// registry.example:5000/kindest/node:v1.37.2, with an optional @sha256 digest.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^(([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$`
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy of the node container.
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// Resources of the node container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector places the Pod on matching outer nodes.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="nodeSelector keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the Pod.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator in ['Equal', 'Exists'])",message="tolerations operator must be Equal or Exists"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.effect) || t.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])",message="tolerations effect must be NoSchedule, PreferNoSchedule or NoExecute, or empty for all three"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator != 'Exists' || !has(t.value) || t.value == '')",message="tolerations value must be empty when operator is Exists"
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the Pod. Unless it sets podAntiAffinity, the Pod also prefers outer nodes (by
	// kubernetes.io/hostname) that run no other node Pod of its cluster and role; a podAntiAffinity here,
	// even an empty one, replaces that preference. Its nodeAffinity and podAffinity are kept either way.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the Pod. Unset, the node Pods of a cluster and role are spread across the
	// zones of the outer cluster (topology.kubernetes.io/zone, maxSkew 1, ScheduleAnyway); any constraint here
	// replaces that default.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.maxSkew > 0)",message="topologySpreadConstraints maxSkew must be at least 1"
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.whenUnsatisfiable in ['DoNotSchedule', 'ScheduleAnyway'])",message="topologySpreadConstraints whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"
	// +listType=atomic
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the Pod.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// DisableDefaultCNI leaves the node image's default pod network (flannel) out of the node, as kind's
	// networking.disableDefaultCNI does: bootstrap data that applies /kind/manifests/default-cni.yaml when it
	// is there applies none, and the cluster brings its own CNI (for example by a ClusterResourceSet). Set it
	// on every node of a cluster.
	// +optional
	DisableDefaultCNI bool `json:"disableDefaultCNI,omitempty"`

	// Labels added to the Pod. They are changed in place when they change here.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="labels keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to the Pod. They are changed in place when they change here.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="annotations keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Persistence puts etcd and containerd state on PersistentVolumeClaims instead of emptyDirs.
	// +optional
	Persistence *Persistence `json:"persistence,omitempty"`

	// ExtraVolumes are mounted into the node container.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	// +optional
	ExtraVolumes []ExtraVolume `json:"extraVolumes,omitempty"`

	// BootstrapDataSecretRef names the Secret with the node's bootstrap data (cloud-config). Without it the
	// node boots but joins no cluster.
	// +optional
	BootstrapDataSecretRef *BootstrapDataSecretReference `json:"bootstrapDataSecretRef,omitempty"`

	// BootstrapFailurePolicy says what happens when a bootstrap step fails, or is cut off by a restart of the
	// node container: Retry (when unset) runs that step again after a minute and goes on from there; Fail
	// stops. The bootstrap runs in the node and records each step there, so a provider restart never runs a
	// step again.
	// +optional
	BootstrapFailurePolicy BootstrapFailurePolicy `json:"bootstrapFailurePolicy,omitempty"`

	// UpdatePolicy says what happens when a change here touches a part of the Pod that cannot change in place.
	// +kubebuilder:default=Report
	// +optional
	UpdatePolicy UpdatePolicy `json:"updatePolicy,omitempty"`

	// PodLossPolicy says what happens when the Pod is lost after it ran: created again (Recreate) or
	// reported in Ready (Report).
	// +kubebuilder:default=Recreate
	// +optional
	PodLossPolicy PodLossPolicy `json:"podLossPolicy,omitempty"`
}

// NodePodObservation are the observed fields of a NodePod.
type NodePodObservation struct {
	// PodName is the name of the node Pod in the outer cluster.
	PodName string `json:"podName,omitempty"`
	// PodNamespace is the namespace of the node Pod in the outer cluster.
	PodNamespace string `json:"podNamespace,omitempty"`
	// PodUID is the UID of the current node Pod; it changes when the Pod is recreated.
	PodUID string `json:"podUID,omitempty"`
	// PodIP is the node's address.
	PodIP string `json:"podIP,omitempty"`
	// Phase of the node Pod.
	Phase corev1.PodPhase `json:"phase,omitempty"`
	// Ready is true when the node Pod is Ready.
	Ready bool `json:"ready,omitempty"`
	// Bootstrapped is true once the bootstrap data ran to completion on this Pod.
	Bootstrapped bool `json:"bootstrapped,omitempty"`
	// ProviderID identifies the node to Cluster API: kubernetes://<namespace>/<pod>. It stays the same when the
	// Pod is recreated.
	ProviderID string `json:"providerID,omitempty"`
	// Image the node runs.
	Image string `json:"image,omitempty"`
	// HostNodeName is the outer cluster Node that runs the Pod.
	HostNodeName string `json:"hostNodeName,omitempty"`
}

// A NodePodSpec defines the desired state of a NodePod.
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || self.providerConfigRef.kind in ['ProviderConfig', 'ClusterProviderConfig']",message="providerConfigRef.kind must be ProviderConfig or ClusterProviderConfig",fieldPath=.providerConfigRef.kind
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || size(self.providerConfigRef.name) > 0",message="providerConfigRef.name must name a ProviderConfig or ClusterProviderConfig",fieldPath=.providerConfigRef.name
// +kubebuilder:validation:XValidation:rule="!has(self.writeConnectionSecretToRef) || size(self.writeConnectionSecretToRef.name) > 0",message="writeConnectionSecretToRef.name must name a Secret",fieldPath=.writeConnectionSecretToRef.name
type NodePodSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              NodePodParameters `json:"forProvider"`
}

// A NodePodStatus represents the observed state of a NodePod.
type NodePodStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 NodePodObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="CLUSTER",type="string",JSONPath=".spec.forProvider.clusterName"
// +kubebuilder:printcolumn:name="ROLE",type="string",JSONPath=".spec.forProvider.role"
// +kubebuilder:printcolumn:name="IP",type="string",JSONPath=".status.atProvider.podIP",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,kindnode}

// A NodePod is a kind node (systemd, containerd, kubelet) running as a privileged Pod in an outer cluster.
type NodePod struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NodePodSpec   `json:"spec"`
	Status NodePodStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// NodePodList contains a list of NodePod.
type NodePodList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodePod `json:"items"`
}

// NodePod type metadata.
var (
	NodePodKind             = reflect.TypeFor[NodePod]().Name()
	NodePodGroupKind        = schema.GroupKind{Group: Group, Kind: NodePodKind}.String()
	NodePodKindAPIVersion   = NodePodKind + "." + SchemeGroupVersion.String()
	NodePodGroupVersionKind = SchemeGroupVersion.WithKind(NodePodKind)
)

func init() {
	SchemeBuilder.Register(&NodePod{}, &NodePodList{})
}
