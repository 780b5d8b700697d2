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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NodeServiceParameters are the configurable fields of a NodeService.
// +kubebuilder:validation:XValidation:rule="!has(self.nodePort) || self.type != 'ClusterIP'",message="nodePort needs type NodePort or LoadBalancer"
type NodeServiceParameters struct {
	// ClusterName is the inner cluster whose ready control-plane node Pods the Service routes to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterName is immutable"
	ClusterName string `json:"clusterName"`

	// Namespace of the Service in the outer cluster; the NodeService's own namespace when unset. It must be
	// the namespace of the cluster's node Pods.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="namespace is immutable"
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// Type of the Service. ClusterIP reaches the inner API server from inside the outer cluster only.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +kubebuilder:default=ClusterIP
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`

	// Port the Service exposes the inner API server on.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=6443
	// +optional
	Port int32 `json:"port,omitempty"`

	// NodePort asks for a fixed node port (types NodePort and LoadBalancer).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	NodePort *int32 `json:"nodePort,omitempty"`

	// LoadBalancerClass of a LoadBalancer Service, a label-style name such as example.com/internal-vip.
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`
	// +optional
	LoadBalancerClass *string `json:"loadBalancerClass,omitempty"`

	// Labels added to the Service.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="labels keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations added to the Service, for example to configure a cloud load balancer.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="annotations keys must be label keys: an optional DNS subdomain and '/', then a name of at most 63 letters, digits, '-', '_' or '.'"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// ControlPlaneDisruptionBudget guards the inner cluster's etcd quorum against voluntary disruption in the
	// outer cluster. Enabled unless turned off.
	// +kubebuilder:default={}
	// +optional
	ControlPlaneDisruptionBudget *ControlPlaneDisruptionBudget `json:"controlPlaneDisruptionBudget,omitempty"`
}

// ControlPlaneDisruptionBudget is a PodDisruptionBudget in the outer cluster, named after the Service with
// the suffix -control-plane, over the control-plane node Pods the Service selects. Each of those Pods is an
// etcd member of the inner cluster: a drain of outer nodes that evicted a majority of them at once would
// lose etcd quorum and stop the inner API server, while evicting them one at a time lets each come back
// and rejoin before the next goes. Outer cluster disruptions that do not go through the Eviction API
// (deleting Pods, node failures) are not guarded.
type ControlPlaneDisruptionBudget struct {
	// Enabled creates the PodDisruptionBudget; false removes it, for example when the outer cluster's
	// drains must not wait for the inner cluster.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// MinAvailable is how many control-plane node Pods eviction must leave running. Unset means a quorum of
	// the cluster's control-plane NodePods in this namespace (2 of 3, 3 of 5, 1 of 1). 0 allows every
	// eviction. An integer minimum, not a maximum unavailable: node Pods have no controller the outer
	// cluster knows, and its disruption controller allows no eviction at all under maxUnavailable for such
	// Pods.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinAvailable *int32 `json:"minAvailable,omitempty"`
}

// ServiceIngress is a load balancer ingress point.
type ServiceIngress struct {
	// IP of the ingress point.
	// +optional
	IP string `json:"ip,omitempty"`
	// Hostname of the ingress point.
	// +optional
	Hostname string `json:"hostname,omitempty"`
}

// NodeServiceObservation are the observed fields of a NodeService.
type NodeServiceObservation struct {
	// ServiceName in the outer cluster.
	ServiceName string `json:"serviceName,omitempty"`
	// ServiceNamespace in the outer cluster.
	ServiceNamespace string `json:"serviceNamespace,omitempty"`
	// ClusterIP of the Service.
	ClusterIP string `json:"clusterIP,omitempty"`
	// NodePort allocated to the Service, if any.
	NodePort int32 `json:"nodePort,omitempty"`
	// Ingress points of a LoadBalancer Service.
	Ingress []ServiceIngress `json:"ingress,omitempty"`
	// Host of the inner control-plane endpoint.
	Host string `json:"host,omitempty"`
	// Port of the inner control-plane endpoint.
	Port int32 `json:"port,omitempty"`
	// DisruptionBudget is the name of the PodDisruptionBudget over the control-plane node Pods, in
	// ServiceNamespace, when it exists.
	DisruptionBudget string `json:"disruptionBudget,omitempty"`
}

// A NodeServiceSpec defines the desired state of a NodeService.
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || self.providerConfigRef.kind in ['ProviderConfig', 'ClusterProviderConfig']",message="providerConfigRef.kind must be ProviderConfig or ClusterProviderConfig",fieldPath=.providerConfigRef.kind
// +kubebuilder:validation:XValidation:rule="!has(self.providerConfigRef) || size(self.providerConfigRef.name) > 0",message="providerConfigRef.name must name a ProviderConfig or ClusterProviderConfig",fieldPath=.providerConfigRef.name
// +kubebuilder:validation:XValidation:rule="!has(self.writeConnectionSecretToRef) || size(self.writeConnectionSecretToRef.name) > 0",message="writeConnectionSecretToRef.name must name a Secret",fieldPath=.writeConnectionSecretToRef.name
type NodeServiceSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              NodeServiceParameters `json:"forProvider"`
}

// A NodeServiceStatus represents the observed state of a NodeService.
type NodeServiceStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 NodeServiceObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="CLUSTER",type="string",JSONPath=".spec.forProvider.clusterName"
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.atProvider.host"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,kindnode}

// A NodeService is the Service in an outer cluster that is an inner cluster's control-plane endpoint.
type NodeService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NodeServiceSpec   `json:"spec"`
	Status NodeServiceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// NodeServiceList contains a list of NodeService.
type NodeServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodeService `json:"items"`
}

// NodeService type metadata.
var (
	NodeServiceKind             = reflect.TypeFor[NodeService]().Name()
	NodeServiceGroupKind        = schema.GroupKind{Group: Group, Kind: NodeServiceKind}.String()
	NodeServiceKindAPIVersion   = NodeServiceKind + "." + SchemeGroupVersion.String()
	NodeServiceGroupVersionKind = SchemeGroupVersion.WithKind(NodeServiceKind)
)

func init() {
	SchemeBuilder.Register(&NodeService{}, &NodeServiceList{})
}
