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

package nodepod

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestWaitingFor(t *testing.T) {
	pvc := func(phase corev1.PersistentVolumeClaimPhase, mods ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		p := &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: phase}}
		for _, m := range mods {
			m(p)
		}
		return p
	}
	class := func(c string) func(*corev1.PersistentVolumeClaim) {
		return func(p *corev1.PersistentVolumeClaim) { p.Spec.StorageClassName = ptr.To(c) }
	}
	annotated := func(k, v string) func(*corev1.PersistentVolumeClaim) {
		return func(p *corev1.PersistentVolumeClaim) {
			p.ObjectMeta = metav1.ObjectMeta{Annotations: map[string]string{k: v}}
		}
	}
	volume := func(v string) func(*corev1.PersistentVolumeClaim) {
		return func(p *corev1.PersistentVolumeClaim) { p.Spec.VolumeName = v }
	}
	const prefix = "the node Pod cannot be scheduled before its PersistentVolumeClaims are bound: "
	const etcd, containerd = "ns/cp-0-etcd", "ns/cp-0-containerd"
	cases := map[string]struct {
		reason    string
		claims    []claim
		scheduler string
		want      string
	}{
		"None": {
			reason: "A node without claims waits for none.",
		},
		"Bound": {
			reason:    "Bound claims keep nothing waiting, whatever the scheduler says.",
			claims:    []claim{{etcd, pvc(corev1.ClaimBound, class("fast"))}, {containerd, pvc(corev1.ClaimBound, class("fast"))}},
			scheduler: "0/3 nodes are available: 3 Insufficient cpu.",
		},
		"Missing": {
			reason: "A claim that is gone keeps the Pod from being scheduled.",
			claims: []claim{{etcd, nil}, {containerd, pvc(corev1.ClaimBound)}},
			want:   prefix + "PersistentVolumeClaim ns/cp-0-etcd does not exist",
		},
		"Lost": {
			reason: "A claim whose volume is gone names the volume.",
			claims: []claim{{etcd, pvc(corev1.ClaimLost, volume("pv-1"))}},
			want:   prefix + "PersistentVolumeClaim ns/cp-0-etcd is Lost: PersistentVolume pv-1 is gone",
		},
		"NoClassNoDefault": {
			reason:    "Claims still without a class after admission: the outer cluster has no default StorageClass. Claims that wait for the same are named together, and the scheduler's word follows.",
			claims:    []claim{{containerd, pvc(corev1.ClaimPending)}, {etcd, pvc(corev1.ClaimPending)}},
			scheduler: "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
			want: prefix + "PersistentVolumeClaims ns/cp-0-containerd, ns/cp-0-etcd are Pending: no StorageClass is named and the outer cluster has no default StorageClass; " +
				"set storageClassName in spec.forProvider.persistence, or make a StorageClass of the outer cluster its default " +
				"(the scheduler says: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.)",
		},
		"BetaClassAnnotation": {
			reason: "A class named by the beta annotation is a class named.",
			claims: []claim{{etcd, pvc(corev1.ClaimPending, annotated(annBetaStorageClass, "old"))}},
			want:   prefix + `PersistentVolumeClaim ns/cp-0-etcd is Pending: no volume is provisioned yet; StorageClass "old" must exist in the outer cluster, and its provisioner must run`,
		},
		"EmptyClass": {
			reason: "A claim of class \"\" binds made volumes only.",
			claims: []claim{{etcd, pvc(corev1.ClaimPending, class(""))}},
			want:   prefix + `PersistentVolumeClaim ns/cp-0-etcd is Pending: storageClassName "" binds only a PersistentVolume made beforehand, and none matches`,
		},
		"ClassNotProvisioned": {
			reason: "A class no provisioner took the claim for may not exist, or its provisioner does not run.",
			claims: []claim{{etcd, pvc(corev1.ClaimPending, class("fast"))}},
			want:   prefix + `PersistentVolumeClaim ns/cp-0-etcd is Pending: no volume is provisioned yet; StorageClass "fast" must exist in the outer cluster, and its provisioner must run`,
		},
		"Provisioning": {
			reason: "A claim handed to a provisioner names it; one handed over by the beta annotation too. Claims that wait for different things are named apart.",
			claims: []claim{
				{etcd, pvc(corev1.ClaimPending, class("fast"), annotated(annStorageProvisioner, "csi.example.org"))},
				{containerd, pvc(corev1.ClaimPending, class("slow"), annotated(annBetaStorageProvisioner, "nfs.example.org"))},
			},
			want: prefix + `PersistentVolumeClaim ns/cp-0-etcd is Pending: waiting for csi.example.org, the provisioner of StorageClass "fast", to provision a volume; ` +
				`PersistentVolumeClaim ns/cp-0-containerd is Pending: waiting for nfs.example.org, the provisioner of StorageClass "slow", to provision a volume`,
		},
		"VolumeNamed": {
			reason: "A claim that names its volume waits for that one.",
			claims: []claim{{etcd, pvc(corev1.ClaimPending, class("fast"), volume("pv-2"))}},
			want:   prefix + "PersistentVolumeClaim ns/cp-0-etcd is Pending: waiting to be bound to PersistentVolume pv-2",
		},
		"SomeBound": {
			reason: "Only the claims not bound are named.",
			claims: []claim{{containerd, nil}, {etcd, pvc(corev1.ClaimBound)}, {"ns/other", nil}},
			want:   prefix + "PersistentVolumeClaims ns/cp-0-containerd, ns/other do not exist",
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, waitingFor(tc.claims, tc.scheduler)); diff != "" {
				t.Errorf("%s\nwaitingFor(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
