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
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Defaults of a KindCluster's spec. The XRD sets the same ones; the function applies them again so that a
// KindCluster rendered without its XRD (crossplane composition render) means the same thing.
const (
	DefaultPodSubnet          = "10.244.0.0/16"
	DefaultServiceSubnet      = "10.96.0.0/16"
	DefaultProviderConfig     = "default"
	defaultControlPlanes      = 1
	defaultWorkers            = 1
	maxControlPlanes          = 7
	maxWorkers                = 100
	kindClusterProviderConfig = "ClusterProviderConfig"
	kindProviderConfig        = "ProviderConfig"
)

// longestNodeSuffix is the longest suffix a node Pod's name gets after the KindCluster's name; a Pod's name is
// its inner node's hostname, which may not be longer than a DNS label.
const longestNodeSuffix = "-control-plane-6"

// versionPattern is the form of the kind node image tags.
var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

// Spec is the spec of a KindCluster, as its XRD defines it.
type Spec struct {
	// KubernetesVersion of the inner cluster, e.g. v1.37.2; it picks the kind node image.
	KubernetesVersion string `json:"kubernetesVersion"`
	// ControlPlane nodes.
	ControlPlane ControlPlane `json:"controlPlane"`
	// Workers are the worker nodes.
	Workers Workers `json:"workers"`
	// PodSubnet is the inner cluster's Pod CIDR.
	PodSubnet string `json:"podSubnet,omitempty"`
	// ServiceSubnet is the inner cluster's Service CIDR.
	ServiceSubnet string `json:"serviceSubnet,omitempty"`
	// DisableDefaultCNI leaves the node image's pod network out of every node: the cluster brings its own.
	DisableDefaultCNI bool `json:"disableDefaultCNI,omitempty"`
	// ServiceType of the control-plane endpoint Service in the outer cluster.
	ServiceType corev1.ServiceType `json:"serviceType,omitempty"`
	// ProviderConfigRef selects the outer cluster of the direct mode's NodePods and NodeService.
	ProviderConfigRef ProviderConfigReference `json:"providerConfigRef"`
}

// ControlPlane describes the control-plane nodes.
type ControlPlane struct {
	// Replicas is the number of control-plane nodes, odd so that etcd keeps quorum.
	Replicas *int32 `json:"replicas,omitempty"`
	// Resources of each node container.
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// Persistence keeps etcd and containerd state on PersistentVolumeClaims.
	Persistence *kindnodev1alpha1.Persistence `json:"persistence,omitempty"`
}

// Workers describes the worker nodes.
type Workers struct {
	// Replicas is the number of worker nodes.
	Replicas *int32 `json:"replicas,omitempty"`
	// Resources of each node container.
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
}

// ProviderConfigReference names the ProviderConfig or ClusterProviderConfig of the composed managed resources.
type ProviderConfigReference struct {
	// Kind is ProviderConfig or ClusterProviderConfig.
	Kind string `json:"kind,omitempty"`
	// Name of the config.
	Name string `json:"name,omitempty"`
}

// claimRef is the part of a legacy cluster-scoped composite's spec that says where its claim lives.
type claimRef struct {
	ClaimRef *struct {
		Namespace string `json:"namespace"`
	} `json:"claimRef,omitempty"`
}

// Cluster is a validated KindCluster: the input of both modes.
type Cluster struct {
	// Name of the KindCluster, which names the inner cluster and prefixes every composed resource.
	Name string
	// Namespace the composed resources live in: the KindCluster's, or its claim's for a cluster-scoped one.
	Namespace string
	// Spec with defaults applied.
	Spec Spec
}

// ControlPlaneReplicas is the wanted number of control-plane nodes.
func (c Cluster) ControlPlaneReplicas() int { return int(*c.Spec.ControlPlane.Replicas) }

// WorkerReplicas is the wanted number of worker nodes.
func (c Cluster) WorkerReplicas() int { return int(*c.Spec.Workers.Replicas) }

// NewCluster validates a KindCluster's name, namespace and spec (the object's "spec" as JSON) and applies the
// defaults. Errors say which field is wrong, for the KindCluster's events.
func NewCluster(name, namespace string, spec []byte) (Cluster, error) {
	c := Cluster{Name: name, Namespace: namespace}
	if err := json.Unmarshal(spec, &c.Spec); err != nil {
		return Cluster{}, errors.Wrap(err, "cannot read the KindCluster's spec")
	}
	if c.Namespace == "" {
		var ref claimRef
		if err := json.Unmarshal(spec, &ref); err == nil && ref.ClaimRef != nil {
			c.Namespace = ref.ClaimRef.Namespace
		}
	}
	if c.Namespace == "" {
		return Cluster{}, errors.New("a cluster-scoped KindCluster composes namespaced resources and needs a namespace: create it through a claim (spec.claimRef.namespace)")
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return Cluster{}, errors.Errorf("KindCluster name %q cannot name an inner cluster: %s", name, errs[0])
	}
	if len(name)+len(longestNodeSuffix) > validation.DNS1123LabelMaxLength {
		return Cluster{}, errors.Errorf("KindCluster name %q is too long: node names (%s%s) must fit in %d characters, so at most %d",
			name, name, longestNodeSuffix, validation.DNS1123LabelMaxLength, validation.DNS1123LabelMaxLength-len(longestNodeSuffix))
	}
	c.applyDefaults()
	if err := c.Spec.validate(); err != nil {
		return Cluster{}, err
	}
	return c, nil
}

func (c *Cluster) applyDefaults() {
	s := &c.Spec
	if s.ControlPlane.Replicas == nil {
		s.ControlPlane.Replicas = ptr32(defaultControlPlanes)
	}
	if s.Workers.Replicas == nil {
		s.Workers.Replicas = ptr32(defaultWorkers)
	}
	if s.PodSubnet == "" {
		s.PodSubnet = DefaultPodSubnet
	}
	if s.ServiceSubnet == "" {
		s.ServiceSubnet = DefaultServiceSubnet
	}
	if s.ServiceType == "" {
		s.ServiceType = corev1.ServiceTypeClusterIP
	}
	if s.ProviderConfigRef.Kind == "" {
		s.ProviderConfigRef.Kind = kindClusterProviderConfig
	}
	if s.ProviderConfigRef.Name == "" {
		s.ProviderConfigRef.Name = DefaultProviderConfig
	}
	if p := s.ControlPlane.Persistence; p != nil && p.ReclaimPolicy == "" {
		p.ReclaimPolicy = kindnodev1alpha1.ReclaimPolicyDelete
	}
}

func (s Spec) validate() error {
	if !versionPattern.MatchString(s.KubernetesVersion) {
		return errors.Errorf("spec.kubernetesVersion %q is not of the form vMAJOR.MINOR.PATCH, e.g. v1.37.2", s.KubernetesVersion)
	}
	if n := *s.ControlPlane.Replicas; n < 1 || n > maxControlPlanes || n%2 == 0 {
		return errors.Errorf("spec.controlPlane.replicas is %d: it must be odd (etcd needs a majority) and between 1 and %d", n, maxControlPlanes)
	}
	if n := *s.Workers.Replicas; n < 0 || n > maxWorkers {
		return errors.Errorf("spec.workers.replicas is %d: it must be between 0 and %d", n, maxWorkers)
	}
	pods, err := netip.ParsePrefix(s.PodSubnet)
	if err != nil {
		return errors.Errorf("spec.podSubnet %q is not a CIDR: %v", s.PodSubnet, err)
	}
	services, err := netip.ParsePrefix(s.ServiceSubnet)
	if err != nil {
		return errors.Errorf("spec.serviceSubnet %q is not a CIDR: %v", s.ServiceSubnet, err)
	}
	if pods.Overlaps(services) {
		return errors.Errorf("spec.podSubnet %s and spec.serviceSubnet %s overlap", pods, services)
	}
	switch s.ServiceType {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		return errors.Errorf("spec.serviceType %q is not one of ClusterIP, NodePort, LoadBalancer", s.ServiceType)
	}
	switch s.ProviderConfigRef.Kind {
	case kindClusterProviderConfig, kindProviderConfig:
	default:
		return errors.Errorf("spec.providerConfigRef.kind %q is not one of %s, %s", s.ProviderConfigRef.Kind, kindClusterProviderConfig, kindProviderConfig)
	}
	if p := s.ControlPlane.Persistence; p != nil {
		for field, v := range map[string]*kindnodev1alpha1.VolumeClaim{"etcd": p.Etcd, "containerd": p.Containerd} {
			if v != nil && v.Size.Sign() <= 0 {
				return errors.Errorf("spec.controlPlane.persistence.%s.size must be positive", field)
			}
		}
	}
	return nil
}

func ptr32(v int32) *int32 { return &v }

// nodeName is the name of the i-th node of a role; the NodePod, its Pod and the inner Node all carry it.
func nodeName(cluster, role string, i int) string { return fmt.Sprintf("%s-%s-%d", cluster, role, i) }
