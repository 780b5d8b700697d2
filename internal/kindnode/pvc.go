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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// PVCName is the name of the claim that backs the given volume of the given node Pod. It depends on nothing
// else, so that a recreated Pod finds its claims again.
func PVCName(pod, volume string) string {
	return pod + "-" + volume
}

// BuildPVCs returns the claims n's Pod mounts, in the order of its volumes; none without persistence.
func BuildPVCs(n Node) []*corev1.PersistentVolumeClaim {
	p := n.Params.Persistence
	if p == nil {
		return nil
	}
	var out []*corev1.PersistentVolumeClaim
	if p.Containerd != nil {
		out = append(out, buildPVC(n, VolumeContainerd, p.Containerd))
	}
	// Workers run no etcd; the API rejects persistence.etcd on them, and a claim nothing mounts would only
	// hold storage.
	if p.Etcd != nil && n.Params.Role == v1alpha1.NodeRoleControlPlane {
		out = append(out, buildPVC(n, VolumeEtcd, p.Etcd))
	}
	return out
}

// buildPVC returns the claim of n's volume. Its labels are the engine's own only: forProvider labels are for
// the Pod.
func buildPVC(n Node, volume string, c *v1alpha1.VolumeClaim) *corev1.PersistentVolumeClaim {
	modes := append([]corev1.PersistentVolumeAccessMode(nil), c.AccessModes...)
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	var class *string
	if c.StorageClassName != nil {
		class = ptr.To(*c.StorageClassName)
	}
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name:      PVCName(n.Name, volume),
			Namespace: n.Namespace,
			Labels:    nodeLabels(n),
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      modes,
			StorageClassName: class,
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: c.Size.DeepCopy()},
			},
		},
	}
}
