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
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

var testOwner = Owner{Kind: "NodePod", Name: "np", Namespace: "crossplane"}

// workerLabels are the engine's labels on a worker of inner cluster "inner" owned by testOwner.
func workerLabels() map[string]string {
	return map[string]string{
		LabelClusterName:    "inner",
		LabelRole:           RoleWorker,
		LabelManaged:        "true",
		LabelOwnerKind:      "NodePod",
		LabelOwnerName:      "np",
		LabelOwnerNamespace: "crossplane",
	}
}

// controlPlaneLabels are the engine's labels on a control-plane node of inner cluster "inner" owned by
// testOwner.
func controlPlaneLabels() map[string]string {
	l := workerLabels()
	l[LabelRole] = RoleControlPlane
	return l
}

// nodeContainerFor is the node container of a worker running image with the given mounts.
func nodeContainerFor(image string, mounts ...corev1.VolumeMount) corev1.Container {
	return corev1.Container{
		Name:            "node",
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		TTY:             true,
		Stdin:           true,
		VolumeMounts:    mounts,
	}
}

// podSpecFor is a node Pod spec with defaults around the given container and volumes.
func podSpecFor(c corev1.Container, volumes ...corev1.Volume) corev1.PodSpec {
	return corev1.PodSpec{
		Containers:                    []corev1.Container{c},
		Volumes:                       volumes,
		RestartPolicy:                 corev1.RestartPolicyAlways,
		EnableServiceLinks:            ptr.To(false),
		AutomountServiceAccountToken:  ptr.To(false),
		TerminationGracePeriodSeconds: ptr.To[int64](30),
	}
}

// podFor is the Pod with the given metadata whose spec is the one forProvider asks for with the engine's
// default spreading for the role in labels, annotated with the hash of what forProvider asks for.
func podFor(name string, labels, annotations map[string]string, asked corev1.PodSpec) *corev1.Pod {
	return podWith(name, labels, annotations, asked, spread(asked, labels[LabelRole]))
}

// podWith is the Pod with the given metadata and spec, annotated with the hash of asked, what forProvider
// asked for.
func podWith(name string, labels, annotations map[string]string, asked, spec corev1.PodSpec) *corev1.Pod {
	a := map[string]string{AnnotationSpecHash: SpecHash(asked)}
	for k, v := range annotations {
		a[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "outer", Labels: labels, Annotations: a},
		Spec:       spec,
	}
}

// innerNodes selects the node Pods of inner cluster "inner" with role.
func innerNodes(role string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{LabelClusterName: "inner", LabelRole: role}}
}

// hostSpread is the engine's default pod anti-affinity for a node Pod of inner cluster "inner" with role: away
// from the others of its role first, from the cluster's other node Pods second.
func hostSpread(role string) *corev1.PodAntiAffinity {
	return &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
		Weight:          100,
		PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: innerNodes(role), TopologyKey: "kubernetes.io/hostname"},
	}, {
		Weight: 50,
		PodAffinityTerm: corev1.PodAffinityTerm{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelClusterName: "inner"}},
			TopologyKey:   "kubernetes.io/hostname",
		},
	}}}
}

// zoneSpread is the engine's default topology spread for a node Pod of inner cluster "inner" with role.
func zoneSpread(role string) []corev1.TopologySpreadConstraint {
	return []corev1.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: innerNodes(role),
	}}
}

// spread is spec, which asks for no affinity and no topology spread, as the engine spreads a node Pod of
// inner cluster "inner" with role.
func spread(spec corev1.PodSpec, role string) corev1.PodSpec {
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: hostSpread(role)}
	spec.TopologySpreadConstraints = zoneSpread(role)
	return spec
}

func emptyDirVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}

func memoryVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}
}

func claimVolume(name, claim string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
}

var libModulesVolume = corev1.Volume{Name: "lib-modules", VolumeSource: corev1.VolumeSource{
	HostPath: &corev1.HostPathVolumeSource{Path: "/lib/modules", Type: ptr.To(corev1.HostPathDirectory)},
}}

// Mounts every node has, by volume.
var (
	varMount        = corev1.VolumeMount{Name: "var", MountPath: "/var"}
	containerdMount = corev1.VolumeMount{Name: "containerd", MountPath: "/var/lib/containerd"}
	// etcKubernetesMount keeps /etc/kubernetes as long as the Pod, through container restarts.
	etcKubernetesMount = corev1.VolumeMount{Name: "var", MountPath: "/etc/kubernetes", SubPath: "lib/kindnode/etc-kubernetes"}
	etcdMount          = corev1.VolumeMount{Name: "etcd", MountPath: "/var/lib/etcd"}
	runMount           = corev1.VolumeMount{Name: "run", MountPath: "/run"}
	tmpMount           = corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"}
	libModulesMount    = corev1.VolumeMount{Name: "lib-modules", MountPath: "/lib/modules", ReadOnly: true}
)

func TestBuildPod(t *testing.T) {
	extraHostPath := corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/cache"}}
	extraConfig := corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "registries"}}}

	controlPlaneContainer := nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, etcdMount, runMount, tmpMount, libModulesMount)
	controlPlaneContainer.Ports = []corev1.ContainerPort{{Name: "apiserver", ContainerPort: 6443, Protocol: corev1.ProtocolTCP}}
	controlPlaneContainer.ReadinessProbe = &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Scheme: corev1.URISchemeHTTPS, Path: "/readyz", Port: intstr.FromInt32(6443),
		}},
		TimeoutSeconds: 3, PeriodSeconds: 5, FailureThreshold: 3,
	}

	// With etcd on a claim, the node's identity lives on it too (PersistentIdentity).
	persistentControlPlaneContainer := controlPlaneContainer
	persistentControlPlaneContainer.VolumeMounts = []corev1.VolumeMount{
		varMount, containerdMount,
		{Name: "etcd", MountPath: "/var/lib/etcd", SubPath: "etcd"},
		{Name: "etcd", MountPath: "/etc/kubernetes", SubPath: "kubernetes"},
		{Name: "etcd", MountPath: "/var/lib/kubelet", SubPath: "kubelet"},
		{Name: "etcd", MountPath: "/var/lib/kindnode", SubPath: "kindnode"},
		runMount, tmpMount, libModulesMount,
	}

	tunedContainer := nodeContainerFor("registry.example/node:dev", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount)
	tunedContainer.ImagePullPolicy = corev1.PullAlways
	tunedContainer.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
	}
	tunedSpec := podSpecFor(tunedContainer, emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume)
	tunedSpec.NodeSelector = map[string]string{"pool": "kind"}
	tunedSpec.Tolerations = []corev1.Toleration{{Key: "kind", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	tunedSpec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname"}}},
	}}
	tunedSpec.PriorityClassName = "inner-nodes"

	noDefaultCNIContainer := nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount)
	noDefaultCNIContainer.Env = []corev1.EnvVar{{Name: "KINDNODE_DISABLE_DEFAULT_CNI", Value: "true"}}

	cases := map[string]struct {
		reason string
		node   Node
		want   *corev1.Pod
		err    error
	}{
		"DisableDefaultCNI": {
			reason: "A node of a cluster that brings its own CNI should tell the node image's entrypoint to leave the default one out.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{ClusterName: "inner", KubernetesVersion: "v1.37.2", DisableDefaultCNI: true},
			},
			want: podFor("w-0", workerLabels(), nil, podSpecFor(noDefaultCNIContainer,
				emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
			)),
		},
		"WorkerDefaults": {
			reason: "A worker from a bare forProvider should be a privileged kind node with emptyDir state and no API server port or probe.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{ClusterName: "inner", KubernetesVersion: "v1.37.2"},
			},
			want: podFor("w-0", workerLabels(), nil, podSpecFor(
				nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount),
				emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
			)),
		},
		"ControlPlanePersistence": {
			reason: "A control-plane node with persistence should mount its claims, with its identity next to etcd's data, expose the API server port and probe /readyz.",
			node: Node{
				Name: "cp-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2",
					Persistence: &v1alpha1.Persistence{
						Etcd:       &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")},
						Containerd: &v1alpha1.VolumeClaim{Size: resource.MustParse("20Gi")},
					},
				},
			},
			want: podFor("cp-0", controlPlaneLabels(), nil, podSpecFor(persistentControlPlaneContainer,
				emptyDirVolume("var"), claimVolume("containerd", "cp-0-containerd"), claimVolume("etcd", "cp-0-etcd"),
				memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
			)),
		},
		"ControlPlaneEmptyDirs": {
			reason: "A control-plane node without persistence should keep etcd on an emptyDir.",
			node: Node{
				Name: "cp-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2"},
			},
			want: podFor("cp-0", controlPlaneLabels(), nil, podSpecFor(controlPlaneContainer,
				emptyDirVolume("var"), emptyDirVolume("containerd"), emptyDirVolume("etcd"),
				memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
			)),
		},
		"ParamsPassThrough": {
			reason: "Image, pull policy, resources and placement from forProvider should reach the Pod; the image repository is unused when an image is set.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner, ImageRepository: "mirror.example/kindest/node",
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", Role: v1alpha1.NodeRoleWorker, KubernetesVersion: "v1.37.2", Image: "registry.example/node:dev",
					ImagePullPolicy:   corev1.PullAlways,
					Resources:         tunedContainer.Resources,
					NodeSelector:      tunedSpec.NodeSelector,
					Tolerations:       tunedSpec.Tolerations,
					Affinity:          tunedSpec.Affinity,
					PriorityClassName: "inner-nodes",
				},
			},
			want: podWith("w-0", workerLabels(), nil, tunedSpec, func() corev1.PodSpec {
				// The user's pod anti-affinity replaces the engine's; the zone spread stays.
				s := *tunedSpec.DeepCopy()
				s.TopologySpreadConstraints = zoneSpread(RoleWorker)
				return s
			}()),
		},
		"ExtraVolumes": {
			reason: "Extra volumes should follow the node's own, mounted where and how forProvider says.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					ExtraVolumes: []v1alpha1.ExtraVolume{
						{Name: "cache", MountPath: "/var/cache/images", VolumeSource: extraHostPath},
						{Name: "registries", MountPath: "/etc/containerd/certs.d", ReadOnly: true, VolumeSource: extraConfig},
					},
				},
			},
			want: podFor("w-0", workerLabels(), nil, podSpecFor(
				nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount,
					corev1.VolumeMount{Name: "cache", MountPath: "/var/cache/images"},
					corev1.VolumeMount{Name: "registries", MountPath: "/etc/containerd/certs.d", ReadOnly: true},
				),
				emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
				corev1.Volume{Name: "cache", VolumeSource: extraHostPath},
				corev1.Volume{Name: "registries", VolumeSource: extraConfig},
			)),
		},
		"ExtraVolumeNamedEtcdOnWorker": {
			reason: "A worker has no etcd volume, so the name is free.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					ExtraVolumes: []v1alpha1.ExtraVolume{{Name: "etcd", MountPath: "/data", VolumeSource: extraHostPath}},
				},
			},
			want: podFor("w-0", workerLabels(), nil, podSpecFor(
				nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount,
					corev1.VolumeMount{Name: "etcd", MountPath: "/data"}),
				emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
				corev1.Volume{Name: "etcd", VolumeSource: extraHostPath},
			)),
		},
		"ExtraVolumeNameClash": {
			reason: "An extra volume may not take the name of one of the node's own.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					ExtraVolumes: []v1alpha1.ExtraVolume{{Name: "var", MountPath: "/data", VolumeSource: extraHostPath}},
				},
			},
			err: errors.Errorf(errFmtVolumeNameClash, "var"),
		},
		"ExtraVolumeMountPathClash": {
			reason: "An extra volume may not be mounted where one of the node's own is, however the path is spelt.",
			node: Node{
				Name: "cp-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2",
					ExtraVolumes: []v1alpha1.ExtraVolume{{Name: "fast-disk", MountPath: "/var/lib/etcd/", VolumeSource: extraHostPath}},
				},
			},
			err: errors.Errorf(errFmtMountPathClash, "fast-disk", "/var/lib/etcd/", "etcd"),
		},
		"ExtraVolumesClashWithEachOther": {
			reason: "Two extra volumes may not share a mount path.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					ExtraVolumes: []v1alpha1.ExtraVolume{
						{Name: "a", MountPath: "/data", VolumeSource: extraHostPath},
						{Name: "b", MountPath: "/data", VolumeSource: extraConfig},
					},
				},
			},
			err: errors.Errorf(errFmtMountPathClash, "b", "/data", "a"),
		},
		"LabelPrecedence": {
			reason: "forProvider labels and annotations should be kept, except where they would overwrite the engine's own.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					Labels: map[string]string{
						"team": "a", LabelClusterName: "other", LabelRole: RoleControlPlane, LabelManaged: "false", LabelOwnerName: "someone",
					},
					Annotations: map[string]string{"note": "hi", AnnotationSpecHash: "forged"},
				},
			},
			want: func() *corev1.Pod {
				l := workerLabels()
				l["team"] = "a"
				return podFor("w-0", l, map[string]string{"note": "hi"}, podSpecFor(
					nodeContainerFor("kindest/node:v1.37.2", varMount, containerdMount, etcKubernetesMount, runMount, tmpMount, libModulesMount),
					emptyDirVolume("var"), emptyDirVolume("containerd"), memoryVolume("run"), memoryVolume("tmp"), libModulesVolume,
				))
			}(),
		},
		"NoImage": {
			reason: "A node without image or version cannot be built.",
			node:   Node{Name: "w-0", Namespace: "outer", Owner: testOwner, Params: v1alpha1.NodePodParameters{ClusterName: "inner"}},
			err:    errors.Wrap(errors.New(errNoImage), errImage),
		},
		"OwnerNameTooLongForALabel": {
			reason: "An owner whose name cannot be a label value should fail here, not at the API server.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: Owner{Kind: "NodePod", Name: strings.Repeat("n", 64), Namespace: "crossplane"},
				Params: v1alpha1.NodePodParameters{ClusterName: "inner", KubernetesVersion: "v1.37.2"},
			},
			// The wording of the limit is apimachinery's.
			err: errors.Errorf(errFmtOwnerLabel, "name", strings.Repeat("n", 64), strings.Join(validation.IsValidLabelValue(strings.Repeat("n", 64)), "; ")),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := BuildPod(tc.node)
			if diff := cmp.Diff(tc.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nBuildPod(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nBuildPod(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestBuildPodDoesNotShareForProvider(t *testing.T) {
	p := v1alpha1.NodePodParameters{
		ClusterName: "inner", KubernetesVersion: "v1.37.2",
		NodeSelector: map[string]string{"pool": "kind"},
		Tolerations:  []corev1.Toleration{{Key: "kind", Operator: corev1.TolerationOpExists}},
		ExtraVolumes: []v1alpha1.ExtraVolume{{Name: "cache", MountPath: "/cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		Labels:       map[string]string{"team": "a"},
	}
	want := p.DeepCopy()
	pod, err := BuildPod(Node{Name: "w-0", Namespace: "outer", Owner: testOwner, Params: p})
	if err != nil {
		t.Fatal(err)
	}

	// What a client decoding the API server's answer into the Pod would do.
	pod.Spec.NodeSelector["pool"] = "other"
	pod.Spec.Tolerations[0].Operator = corev1.TolerationOpEqual
	pod.Spec.Volumes[len(pod.Spec.Volumes)-1].EmptyDir.Medium = corev1.StorageMediumMemory
	pod.Labels["team"] = "b"

	if diff := cmp.Diff(want, &p); diff != "" {
		t.Errorf("\nChanging the built Pod should leave forProvider alone.\nforProvider: -want, +got:\n%s", diff)
	}
}

func TestSpecHash(t *testing.T) {
	base := func() Node {
		return Node{
			Name: "cp-0", Namespace: "outer", Owner: testOwner,
			Params: v1alpha1.NodePodParameters{
				ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2",
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
				Labels:    map[string]string{"team": "a"},
			},
		}
	}
	cases := map[string]struct {
		reason string
		change func(n *Node)
		equal  bool
	}{
		"Stable": {
			reason: "The same forProvider should give the same hash every time.",
			change: func(*Node) {},
			equal:  true,
		},
		"LabelsAndAnnotations": {
			reason: "Labels and annotations change in place and must not look like a spec change.",
			change: func(n *Node) {
				n.Params.Labels = map[string]string{"team": "b", "tier": "gold"}
				n.Params.Annotations = map[string]string{"note": "hi"}
			},
			equal: true,
		},
		"EquivalentQuantity": {
			reason: "The same quantity written differently is the same spec.",
			change: func(n *Node) {
				n.Params.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("1000m")
			},
			equal: true,
		},
		"Image": {
			reason: "A new image needs a new Pod.",
			change: func(n *Node) { n.Params.KubernetesVersion = "v1.37.3" },
		},
		"Resources": {
			reason: "New resources need a new Pod.",
			change: func(n *Node) {
				n.Params.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("2")
			},
		},
		"Affinity": {
			reason: "An affinity of the user's is a new placement, which needs a new Pod.",
			change: func(n *Node) {
				n.Params.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{}}
			},
		},
		"TopologySpreadConstraints": {
			reason: "Topology spread constraints of the user's are a new placement, which needs a new Pod.",
			change: func(n *Node) {
				n.Params.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule}}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before, err := BuildPod(base())
			if err != nil {
				t.Fatal(err)
			}
			n := base()
			tc.change(&n)
			after, err := BuildPod(n)
			if err != nil {
				t.Fatal(err)
			}
			got := before.Annotations[AnnotationSpecHash] == after.Annotations[AnnotationSpecHash]
			if diff := cmp.Diff(tc.equal, got); diff != "" {
				t.Errorf("\n%s\nthe %s annotations before and after are equal: -want, +got:\n%s", tc.reason, AnnotationSpecHash, diff)
			}
		})
	}
}

// The hash recorded on a node Pod covers what forProvider asks for, not the spreading the engine adds: a
// running Pod gains nothing from a new scheduling preference, and a provider that brings new defaults must
// neither report every node Pod it made before out of date nor replace those whose updatePolicy is Recreate.
func TestSpecHashLeavesOutSpreadingDefaults(t *testing.T) {
	cases := map[string]struct {
		reason string
		params v1alpha1.NodePodParameters
		// asked is the Pod spec's affinity and topology spread as forProvider asks for them.
		askedAffinity *corev1.Affinity
		askedSpread   []corev1.TopologySpreadConstraint
	}{
		"NoPlacement": {
			reason: "A node Pod made before the engine spread node Pods has the hash of a spec without affinity or spread.",
			params: v1alpha1.NodePodParameters{ClusterName: "inner", KubernetesVersion: "v1.37.2"},
		},
		"UserPlacement": {
			reason: "The user's own affinity and spread are part of the hash; the engine's additions to them are not.",
			params: v1alpha1.NodePodParameters{
				ClusterName: "inner", KubernetesVersion: "v1.37.2",
				Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"kind"}}}}},
				}}},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule}},
			},
			askedAffinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"kind"}}}}},
			}}},
			askedSpread: []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pod, err := BuildPod(Node{Name: "w-0", Namespace: "outer", Owner: testOwner, Params: tc.params})
			if err != nil {
				t.Fatal(err)
			}
			asked := *pod.Spec.DeepCopy()
			asked.Affinity, asked.TopologySpreadConstraints = tc.askedAffinity, tc.askedSpread
			if diff := cmp.Diff(SpecHash(asked), pod.Annotations[AnnotationSpecHash]); diff != "" {
				t.Errorf("\n%s\nthe %s annotation: -want, +got:\n%s", tc.reason, AnnotationSpecHash, diff)
			}
			if pod.Spec.Affinity == nil || pod.Spec.Affinity.PodAntiAffinity == nil {
				t.Errorf("\n%s\nthe Pod should still carry the engine's pod anti-affinity: %+v", tc.reason, pod.Spec.Affinity)
			}
		})
	}
}
