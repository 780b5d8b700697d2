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
	"path"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Names of the volumes every kind node Pod has.
const (
	// VolumeVar backs /var: the container's root is overlayfs, and containerd's overlayfs snapshotter
	// cannot put its layers on overlayfs.
	VolumeVar = "var"
	// VolumeContainerd backs /var/lib/containerd (images and layers); a claim with persistence.containerd.
	VolumeContainerd = "containerd"
	// VolumeEtcd backs /var/lib/etcd on control-plane nodes; a claim with persistence.etcd.
	VolumeEtcd = "etcd"
	// VolumeRun is the tmpfs systemd expects at /run.
	VolumeRun = "run"
	// VolumeTmp is the tmpfs at /tmp, as kind gives its nodes.
	VolumeTmp = "tmp"
	// VolumeLibModules exposes the host's kernel modules, which kube-proxy and CNIs probe.
	VolumeLibModules = "lib-modules"
)

const (
	errFmtVolumeNameClash = "extra volume %q: the name is already taken by another volume of the node"
	errFmtMountPathClash  = "extra volume %q: mount path %s is already used by volume %q"
)

// nodeVolumes returns the volumes of the node Pod named pod and the node container's mounts of them,
// built-in ones first.
func nodeVolumes(pod string, p v1alpha1.NodePodParameters) ([]corev1.Volume, []corev1.VolumeMount, error) {
	var persist v1alpha1.Persistence
	if p.Persistence != nil {
		persist = *p.Persistence
	}
	// A volume mounted more than once has one entry per mount; only its first defines the volume.
	type volume struct {
		name, mountPath, subPath string
		readOnly                 bool
		source                   corev1.VolumeSource
	}
	vs := []volume{
		{name: VolumeVar, mountPath: "/var", source: emptyDir()},
		{name: VolumeContainerd, mountPath: "/var/lib/containerd", source: stateSource(pod, VolumeContainerd, persist.Containerd)},
	}
	if !PersistentIdentity(p) {
		// What kubeadm writes to /etc/kubernetes (the kubelet's kubeconfig, certificates, static Pod manifests)
		// lives as long as the Pod, like the rest of the node's state under /var: a container that restarts
		// (it crashed, was killed for memory) gets a new root filesystem, and the node would come back
		// bootstrapped but without them. A node with a persistent identity keeps them on its claim instead.
		vs = append(vs, volume{name: VolumeVar, mountPath: "/etc/kubernetes", subPath: etcKubernetesSubPath})
	}
	if p.Role == v1alpha1.NodeRoleControlPlane {
		etcd := volume{name: VolumeEtcd, mountPath: "/var/lib/etcd", source: stateSource(pod, VolumeEtcd, persist.Etcd)}
		if !PersistentIdentity(p) {
			vs = append(vs, etcd)
		} else {
			// What makes the node the same node when its Pod is recreated lives next to its etcd data.
			for _, m := range identityMounts {
				vs = append(vs, volume{name: VolumeEtcd, mountPath: m.mountPath, subPath: m.subPath, source: etcd.source})
			}
		}
	}
	vs = append(vs,
		volume{name: VolumeRun, mountPath: "/run", source: memory()},
		volume{name: VolumeTmp, mountPath: "/tmp", source: memory()},
		volume{name: VolumeLibModules, mountPath: "/lib/modules", readOnly: true, source: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/lib/modules", Type: ptr.To(corev1.HostPathDirectory)},
		}},
	)

	names := map[string]bool{}
	paths := map[string]string{}
	var volumes []corev1.Volume
	for _, v := range vs {
		if !names[v.name] {
			volumes = append(volumes, corev1.Volume{Name: v.name, VolumeSource: v.source})
		}
		names[v.name] = true
		paths[v.mountPath] = v.name
	}
	for _, e := range p.ExtraVolumes {
		if names[e.Name] {
			return nil, nil, errors.Errorf(errFmtVolumeNameClash, e.Name)
		}
		mp := path.Clean(e.MountPath)
		if other, taken := paths[mp]; taken {
			return nil, nil, errors.Errorf(errFmtMountPathClash, e.Name, e.MountPath, other)
		}
		names[e.Name] = true
		paths[mp] = e.Name
		vs = append(vs, volume{name: e.Name, mountPath: e.MountPath, readOnly: e.ReadOnly, source: e.VolumeSource})
		volumes = append(volumes, corev1.Volume{Name: e.Name, VolumeSource: e.VolumeSource})
	}

	mounts := make([]corev1.VolumeMount, len(vs))
	for i, v := range vs {
		mounts[i] = corev1.VolumeMount{Name: v.name, MountPath: v.mountPath, SubPath: v.subPath, ReadOnly: v.readOnly}
	}
	return volumes, mounts, nil
}

// etcKubernetesSubPath is where, in the /var volume, a node keeps /etc/kubernetes: beside its bootstrap record.
const etcKubernetesSubPath = "lib/kindnode/etc-kubernetes"

// identityMounts put a control-plane node's identity on its etcd claim (PersistentIdentity): etcd's data,
// kubeadm's configuration, certificates and static Pod manifests, the kubelet's configuration and
// certificates, and the record that its bootstrap ran (bootstrap.SentinelPath), each in a directory of its own.
var identityMounts = []struct{ mountPath, subPath string }{
	{"/var/lib/etcd", "etcd"},
	{"/etc/kubernetes", "kubernetes"},
	{"/var/lib/kubelet", "kubelet"},
	{"/var/lib/kindnode", "kindnode"},
}

// stateSource is the claim named for the node and volume when the state is to persist, else an emptyDir.
func stateSource(pod, volume string, c *v1alpha1.VolumeClaim) corev1.VolumeSource {
	if c == nil {
		return emptyDir()
	}
	return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: PVCName(pod, volume)}}
}

// emptyDir is a volume on the outer node's disk that lives as long as the Pod.
func emptyDir() corev1.VolumeSource {
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
}

// memory is a tmpfs that lives as long as the Pod.
func memory() corev1.VolumeSource {
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}
}
