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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// addressData is bootstrap data that hands the node its advertised address, as the cluster templates do.
const addressData = "## template: jinja\n#cloud-config\nruncmd:\n- 'echo advertise {{ ds.meta_data.local_ipv4 }}'\n"

// advertised returns the addresses the fake node was told to advertise, in order.
func advertised(ns, pod string) []string {
	var out []string
	for _, c := range execs.Commands(ns, pod) {
		line := strings.Join(c.Argv, " ")
		if i := strings.Index(line, "echo advertise "); i >= 0 {
			out = append(out, strings.TrimSpace(line[i+len("echo advertise "):]))
		}
	}
	return out
}

func waitBootstrapped(t *testing.T, ns, name string, pod *corev1.Pod) {
	t.Helper()
	waitFor(t, "the NodePod bootstrapped on Pod "+string(pod.UID), func() error {
		np := getNodePod(t, ns, name)
		if !np.Status.AtProvider.Bootstrapped || np.Status.AtProvider.PodUID != string(pod.UID) {
			c := condition(np.Status.Conditions, v1alpha1.TypeBootstrapped)
			return fmt.Errorf("bootstrapped %v on %s: %s %s", np.Status.AtProvider.Bootstrapped, np.Status.AtProvider.PodUID, c.Reason, c.Message)
		}
		return nil
	})
}

// TestPersistentIdentity: a control-plane node whose etcd persists advertises its address Service's ClusterIP
// and, when its Pod is lost, comes back on the same claims and address without running its bootstrap again.
func TestPersistentIdentity(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	name := fakeExecPrefix + "cp-0"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(addressData)}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.Persistence = &v1alpha1.Persistence{Etcd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")}}
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
	})); err != nil {
		t.Fatal(err)
	}

	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })
	svc := &corev1.Service{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: kindnode.AddressServiceName(name)}, svc); err != nil {
		t.Fatalf("the node's address Service: %v", err)
	}
	if svc.Spec.ClusterIP == "" || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("address Service: clusterIP %q, publishNotReadyAddresses %v", svc.Spec.ClusterIP, svc.Spec.PublishNotReadyAddresses)
	}
	for k, v := range svc.Spec.Selector {
		if pod.Labels[k] != v {
			t.Errorf("address Service selector %s=%s does not select the node Pod (%q)", k, v, pod.Labels[k])
		}
	}

	markRunningReady(t, pod)
	waitBootstrapped(t, ns, name, pod)
	if got, want := advertised(ns, name), []string{svc.Spec.ClusterIP}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("advertised addresses %v, want %v (the address Service's ClusterIP, not the Pod IP)", got, want)
	}

	t.Run("ALostPodComesBackAsTheSameNode", func(t *testing.T) {
		if err := kube.Delete(ctx, pod); err != nil {
			t.Fatal(err)
		}
		var again *corev1.Pod
		waitFor(t, "a new node Pod", func() (err error) {
			again, err = getPod(ns, name)
			if err == nil && again.UID == pod.UID {
				return fmt.Errorf("still the lost Pod")
			}
			return err
		})
		markRunningReady(t, again)
		// The fake node keeps its bootstrap record across Pods, as the etcd claim does.
		waitBootstrapped(t, ns, name, again)
		if got := advertised(ns, name); len(got) != 1 {
			t.Errorf("the bootstrap ran again on the recreated Pod: advertised %v", got)
		}
		now := &corev1.Service{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: kindnode.AddressServiceName(name)}, now); err != nil {
			t.Fatal(err)
		}
		if now.UID != svc.UID || now.Spec.ClusterIP != svc.Spec.ClusterIP {
			t.Errorf("the address changed: %s (%s), was %s (%s)", now.Spec.ClusterIP, now.UID, svc.Spec.ClusterIP, svc.UID)
		}
	})

	t.Run("TheAddressGoesWithTheNodePod", func(t *testing.T) {
		if err := kube.Delete(ctx, getNodePod(t, ns, name)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the address Service to be gone", func() error {
			err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: kindnode.AddressServiceName(name)}, &corev1.Service{})
			if !kerrors.IsNotFound(err) {
				return fmt.Errorf("still there: %v", err)
			}
			return nil
		})
	})
}

// TestNodeWithoutPersistentIdentityAdvertisesItsPodIP: no address Service, the Pod IP.
func TestNodeWithoutPersistentIdentityAdvertisesItsPodIP(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	name := fakeExecPrefix + "cp-1"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(addressData)}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })
	markRunningReady(t, pod)
	waitBootstrapped(t, ns, name, pod)
	if got, want := advertised(ns, name), []string{"10.1.2.3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("advertised addresses %v, want the Pod IP %v", got, want)
	}
	err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: kindnode.AddressServiceName(name)}, &corev1.Service{})
	if !kerrors.IsNotFound(err) {
		t.Errorf("a node without persistent etcd got an address Service: %v", err)
	}
}
