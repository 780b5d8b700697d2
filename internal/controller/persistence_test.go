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

package controller_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

func persistent(policy v1alpha1.ReclaimPolicy) func(*v1alpha1.NodePod) {
	return func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.Persistence = &v1alpha1.Persistence{
			Etcd:          &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")},
			Containerd:    &v1alpha1.VolumeClaim{Size: resource.MustParse("5Gi")},
			ReclaimPolicy: policy,
		}
	}
}

func getClaim(ns, name string) (*corev1.PersistentVolumeClaim, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pvc)
	return pvc, err
}

func TestPersistentNodeComesBackWithItsClaims(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodePod(ns, "cp-0", persistent(v1alpha1.ReclaimPolicyDelete))); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, "cp-0"); return err })
	claims := map[string]*corev1.PersistentVolumeClaim{}
	for _, v := range []string{kindnode.VolumeEtcd, kindnode.VolumeContainerd} {
		pvc, err := getClaim(ns, kindnode.PVCName("cp-0", v))
		if err != nil {
			t.Fatalf("claim for %s: %v", v, err)
		}
		claims[v] = pvc
	}
	mounted := map[string]string{}
	for _, vol := range pod.Spec.Volumes {
		if vol.PersistentVolumeClaim != nil {
			mounted[vol.Name] = vol.PersistentVolumeClaim.ClaimName
		}
	}
	for v, pvc := range claims {
		if mounted[v] != pvc.Name {
			t.Errorf("volume %s mounts claim %q, want %q", v, mounted[v], pvc.Name)
		}
	}

	t.Run("ADeletedPodIsRecreatedOnTheSameClaims", func(t *testing.T) {
		// What an outer node failure or a drain does: the Pod goes, the NodePod stays.
		if err := kube.Delete(ctx, pod); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a new node Pod", func() error {
			p, err := getPod(ns, "cp-0")
			if err != nil {
				return err
			}
			if p.UID == pod.UID {
				return fmt.Errorf("still the old Pod")
			}
			return nil
		})
		for v, old := range claims {
			pvc, err := getClaim(ns, old.Name)
			if err != nil {
				t.Fatalf("claim %s: %v", old.Name, err)
			}
			if pvc.UID != old.UID {
				t.Errorf("claim for %s was replaced: its data would be gone", v)
			}
		}
		waitFor(t, "the NodePod to observe the new Pod under the same providerID", func() error {
			obs := getNodePod(t, ns, "cp-0").Status.AtProvider
			if obs.PodUID == string(pod.UID) {
				return fmt.Errorf("still observing the old Pod")
			}
			if want := "kubernetes://" + ns + "/cp-0"; obs.ProviderID != want {
				return fmt.Errorf("providerID %q, want %q", obs.ProviderID, want)
			}
			return nil
		})
	})

	t.Run("DeletingTheNodePodDeletesItsClaims", func(t *testing.T) {
		if err := kube.Delete(ctx, getNodePod(t, ns, "cp-0")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the claims to be deleted", func() error {
			for _, old := range claims {
				pvc, err := getClaim(ns, old.Name)
				if kerrors.IsNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				// kube-controller-manager's PVC protection controller, absent here, would remove the finalizer
				// once no Pod uses the claim; being marked for deletion is the provider's part.
				if pvc.DeletionTimestamp == nil {
					return fmt.Errorf("claim %s is not being deleted", old.Name)
				}
			}
			return nil
		})
	})
}

func TestRetainedClaimsOutliveTheNodePod(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodePod(ns, "cp-0", persistent(v1alpha1.ReclaimPolicyRetain))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node Pod", func() error { _, err := getPod(ns, "cp-0"); return err })
	if err := kube.Delete(ctx, getNodePod(t, ns, "cp-0")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the NodePod to be gone", func() error {
		err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "cp-0"}, &v1alpha1.NodePod{})
		if !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there: %v", err)
		}
		return nil
	})
	for _, v := range []string{kindnode.VolumeEtcd, kindnode.VolumeContainerd} {
		pvc, err := getClaim(ns, kindnode.PVCName("cp-0", v))
		if err != nil {
			t.Fatalf("claim for %s: %v", v, err)
		}
		if pvc.DeletionTimestamp != nil {
			t.Errorf("claim for %s is being deleted under reclaimPolicy Retain", v)
		}
	}
}
