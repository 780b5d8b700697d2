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

package kindnode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// ContainerName is the name of the container that runs the kind node.
const ContainerName = "node"

// APIServerPort is the port the inner API server listens on inside a control-plane node, as kubeadm sets it
// up in kind node images.
const APIServerPort = 6443

// EnvDisableDefaultCNI tells the node image's entrypoint to remove the default CNI manifest
// (/kind/manifests/default-cni.yaml), so that bootstrap data that applies it when present applies none.
const EnvDisableDefaultCNI = "KINDNODE_DISABLE_DEFAULT_CNI"

// APIServerPortName names the API server port on node Pods and on the endpoint Service.
const APIServerPortName = "apiserver"

// terminationGracePeriodSeconds gives systemd time to stop the kubelet and containerd cleanly.
const terminationGracePeriodSeconds = 30

const (
	errImage         = "cannot choose the node image"
	errFmtOwnerLabel = "owner %s %q cannot be recorded in a label: %s"
)

// Node is what the engine needs to build a node Pod and its claims.
type Node struct {
	// Name of the Pod in the outer cluster.
	Name string
	// Namespace of the Pod in the outer cluster.
	Namespace string
	// Owner is the managed resource the Pod belongs to.
	Owner Owner
	// Params are the NodePod's forProvider.
	Params v1alpha1.NodePodParameters
	// ImageRepository is where node images chosen by kubernetesVersion come from; DefaultImageRepository
	// when empty.
	ImageRepository string
}

// BuildPod returns the Pod that runs n as a kind node, spread apart from the other node Pods of its cluster
// and role as spreadByDefault says unless forProvider's affinity and topologySpreadConstraints say otherwise.
// Its AnnotationSpecHash annotation is SpecHash of its spec as forProvider asks for it, before those defaults:
// they only matter while the Pod is scheduled, so a provider whose defaults change must not report every
// running node Pod out of date, nor replace those whose updatePolicy is Recreate.
func BuildPod(n Node) (*corev1.Pod, error) {
	if err := validateOwner(n.Owner); err != nil {
		return nil, err
	}
	// The Pod must not share memory with the caller's forProvider: a client decoding the created Pod into it
	// would otherwise write the API server's defaults into the managed resource.
	p := *n.Params.DeepCopy()
	image, err := NodeImage(p, n.ImageRepository)
	if err != nil {
		return nil, errors.Wrap(err, errImage)
	}
	volumes, mounts, err := nodeVolumes(n.Name, p)
	if err != nil {
		return nil, err
	}

	c := corev1.Container{
		Name:            ContainerName,
		Image:           image,
		ImagePullPolicy: p.ImagePullPolicy,
		// kind nodes run systemd, containerd and nested containers: the same privileges kind gives them.
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		// systemd wants a console. The image itself sets container=docker, so the environment stays empty but
		// for what the node image's entrypoint is told (EnvDisableDefaultCNI).
		TTY:          true,
		Stdin:        true,
		Resources:    p.Resources,
		VolumeMounts: mounts,
	}
	if p.DisableDefaultCNI {
		c.Env = []corev1.EnvVar{{Name: EnvDisableDefaultCNI, Value: "true"}}
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = corev1.PullIfNotPresent
	}
	if p.Role == v1alpha1.NodeRoleControlPlane {
		c.Ports = []corev1.ContainerPort{{Name: APIServerPortName, ContainerPort: APIServerPort, Protocol: corev1.ProtocolTCP}}
		// The endpoint Service only routes to ready Pods, so readiness must mean "the API server answers",
		// not "the container started". /readyz is open to anonymous clients in kubeadm clusters.
		c.ReadinessProbe = &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Scheme: corev1.URISchemeHTTPS,
				Path:   "/readyz",
				Port:   intstr.FromInt32(APIServerPort),
			}},
			TimeoutSeconds:   3,
			PeriodSeconds:    5,
			FailureThreshold: 3,
		}
	}

	spec := corev1.PodSpec{
		Containers:    []corev1.Container{c},
		Volumes:       volumes,
		RestartPolicy: corev1.RestartPolicyAlways,
		// Neither the outer cluster's services nor its API are any business of the inner cluster's node.
		EnableServiceLinks:            ptr.To(false),
		AutomountServiceAccountToken:  ptr.To(false),
		TerminationGracePeriodSeconds: ptr.To[int64](terminationGracePeriodSeconds),
		NodeSelector:                  p.NodeSelector,
		Tolerations:                   p.Tolerations,
		Affinity:                      p.Affinity,
		TopologySpreadConstraints:     p.TopologySpreadConstraints,
		PriorityClassName:             p.PriorityClassName,
	}
	annotations := withOurs(p.Annotations, map[string]string{AnnotationSpecHash: SpecHash(spec)})
	spreadByDefault(&spec, p.ClusterName, roleValue(p.Role))

	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Namespace:   n.Namespace,
			Labels:      withOurs(p.Labels, nodeLabels(n)),
			Annotations: annotations,
		},
		Spec: spec,
	}, nil
}

// SpecHash returns a stable digest of spec. A Pod cannot take most spec changes in place, so the controller
// compares the digest of the desired spec with the one recorded at creation to find such changes. Labels and
// annotations live outside the spec and can change in place; they do not influence the digest.
func SpecHash(spec corev1.PodSpec) string {
	// encoding/json writes struct fields in declaration order and map keys sorted, so equal specs give equal
	// bytes. Marshalling a PodSpec cannot fail.
	b, _ := json.Marshal(spec) //nolint:errchkjson // See above.
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// nodeLabels are the labels the engine sets on a node's Pod and claims.
func nodeLabels(n Node) map[string]string {
	l := commonLabels(n.Params.ClusterName, n.Owner)
	l[LabelRole] = roleValue(n.Params.Role)
	return l
}

// validateOwner fails early and clearly where the API server would otherwise reject the Pod: object names
// may be up to 253 characters, label values only 63.
func validateOwner(o Owner) error {
	for _, f := range []struct{ field, value string }{{"kind", o.Kind}, {"name", o.Name}, {"namespace", o.Namespace}} {
		if errs := validation.IsValidLabelValue(f.value); len(errs) > 0 {
			return errors.Errorf(errFmtOwnerLabel, f.field, f.value, strings.Join(errs, "; "))
		}
	}
	return nil
}
