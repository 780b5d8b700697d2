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
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestBuildPVCs(t *testing.T) {
	claim := func(name string, labels map[string]string, class *string, size string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "outer", Labels: labels},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      modes,
				StorageClassName: class,
				Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
				},
			},
		}
	}
	cases := map[string]struct {
		reason string
		node   Node
		want   []*corev1.PersistentVolumeClaim
	}{
		"NoPersistence": {
			reason: "A node on emptyDirs has no claims.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{ClusterName: "inner", KubernetesVersion: "v1.37.2"},
			},
		},
		"ControlPlane": {
			reason: "A control-plane node should get the claims its Pod mounts, in the order of its volumes, labelled like the Pod but without forProvider labels.",
			node: Node{
				Name: "cp-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane, KubernetesVersion: "v1.37.2",
					Labels: map[string]string{"team": "a"},
					Persistence: &v1alpha1.Persistence{
						Etcd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi"), StorageClassName: ptr.To("fast")},
						Containerd: &v1alpha1.VolumeClaim{
							Size:        resource.MustParse("20Gi"),
							AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
						},
						ReclaimPolicy: v1alpha1.ReclaimPolicyRetain,
					},
				},
			},
			want: []*corev1.PersistentVolumeClaim{
				claim("cp-0-containerd", controlPlaneLabels(), nil, "20Gi", corev1.ReadWriteOncePod),
				claim("cp-0-etcd", controlPlaneLabels(), ptr.To("fast"), "1Gi", corev1.ReadWriteOnce),
			},
		},
		"WorkerIgnoresEtcd": {
			reason: "A worker runs no etcd, so it gets no etcd claim.",
			node: Node{
				Name: "w-0", Namespace: "outer", Owner: testOwner,
				Params: v1alpha1.NodePodParameters{
					ClusterName: "inner", KubernetesVersion: "v1.37.2",
					Persistence: &v1alpha1.Persistence{
						Etcd:       &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")},
						Containerd: &v1alpha1.VolumeClaim{Size: resource.MustParse("20Gi")},
					},
				},
			},
			want: []*corev1.PersistentVolumeClaim{claim("w-0-containerd", workerLabels(), nil, "20Gi", corev1.ReadWriteOnce)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BuildPVCs(tc.node)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nBuildPVCs(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPVCName(t *testing.T) {
	if diff := cmp.Diff("cp-0-etcd", PVCName("cp-0", VolumeEtcd)); diff != "" {
		t.Errorf("\nA claim is named after its Pod and volume.\nPVCName(...): -want, +got:\n%s", diff)
	}
}
