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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// newCAPICluster creates a Cluster whose infrastructure is a KubernetesCluster, the way a cluster template
// does; Cluster API's own Cluster reconciler takes it from there.
func newCAPICluster(t *testing.T, ns, name string, mutate ...func(*infrav1.KubernetesCluster)) {
	t.Helper()
	ctx := context.Background()
	kc := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, fn := range mutate {
		fn(kc)
	}
	if err := kube.Create(ctx, kc); err != nil {
		t.Fatal(err)
	}
	c := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:     clusterv1.NetworkRanges{CIDRBlocks: []string{"10.244.0.0/16"}},
				Services: clusterv1.NetworkRanges{CIDRBlocks: []string{"10.96.0.0/16"}},
			},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "KubernetesCluster", Name: name},
		},
	}
	if err := kube.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// newCAPIMachine creates a control-plane Machine with its KubeadmConfig and KubernetesMachine, as
// KubeadmControlPlane would, changed by mutate before they are created. The kubelet learns its provider ID
// from the bootstrap data's metadata.
func newCAPIMachine(t *testing.T, ns, cluster, name string, mutate ...func(*clusterv1.Machine, *infrav1.KubernetesMachine)) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{clusterv1.ClusterNameLabel: cluster, clusterv1.MachineControlPlaneLabel: ""}
	cfg := &bootstrapv1.KubeadmConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: bootstrapv1.KubeadmConfigSpec{
			InitConfiguration: bootstrapv1.InitConfiguration{NodeRegistration: bootstrapv1.NodeRegistrationOptions{
				KubeletExtraArgs: []bootstrapv1.Arg{{Name: "provider-id", Value: ptr.To("kubernetes://{{ ds.meta_data.namespace }}/{{ ds.meta_data.hostname }}")}},
			}},
		},
	}
	if err := kube.Create(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	km := &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: clusterv1.MachineSpec{
			ClusterName:       cluster,
			Version:           "v1.37.2",
			Bootstrap:         clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KubeadmConfig", Name: name}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "KubernetesMachine", Name: name},
		},
	}
	for _, fn := range mutate {
		fn(m, km)
	}
	if err := kube.Create(ctx, km); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func TestClusterAPIControlPlaneMachine(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "c1")

	t.Run("ClusterInfrastructureIsProvisioned", func(t *testing.T) {
		waitFor(t, "the Cluster's infrastructure to be provisioned with an endpoint", func() error {
			c := &clusterv1.Cluster{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c1"}, c); err != nil {
				return err
			}
			if !ptr.Deref(c.Status.Initialization.InfrastructureProvisioned, false) {
				return fmt.Errorf("infrastructure not provisioned")
			}
			svc, err := getService(ns, "c1")
			if err != nil {
				return err
			}
			if c.Spec.ControlPlaneEndpoint.Host != svc.Spec.ClusterIP || c.Spec.ControlPlaneEndpoint.Port != 6443 {
				return fmt.Errorf("endpoint %v, want %s:6443", c.Spec.ControlPlaneEndpoint, svc.Spec.ClusterIP)
			}
			return nil
		})
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "c1"}, kc); err != nil {
			t.Fatal(err)
		}
		if !conditions.IsTrue(kc, clusterv1.ReadyCondition) {
			t.Errorf("KubernetesCluster Ready: %+v", conditions.Get(kc, clusterv1.ReadyCondition))
		}
	})

	name := fakeExecPrefix + "cp-0"
	newCAPIMachine(t, ns, "c1", name)
	var pod *corev1.Pod
	t.Run("BootstrapDataReachesANodePod", func(t *testing.T) {
		waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })
		np := getNodePod(t, ns, name)
		if np.Spec.ForProvider.Role != v1alpha1.NodeRoleControlPlane || np.Spec.ForProvider.KubernetesVersion != "v1.37.2" {
			t.Errorf("NodePod forProvider: %+v", np.Spec.ForProvider)
		}
		if np.Spec.ForProvider.BootstrapDataSecretRef == nil || np.Spec.ForProvider.BootstrapDataSecretRef.Name != name {
			t.Errorf("bootstrap data: %+v", np.Spec.ForProvider.BootstrapDataSecretRef)
		}
	})

	t.Run("MachineGetsProviderIDOnceTheNodeIsUp", func(t *testing.T) {
		markRunningReady(t, pod)
		want := "kubernetes://" + ns + "/" + name
		waitFor(t, "Machine providerID and infrastructure provisioned", func() error {
			m := &clusterv1.Machine{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, m); err != nil {
				return err
			}
			if m.Spec.ProviderID != want {
				return fmt.Errorf("providerID %q, want %q", m.Spec.ProviderID, want)
			}
			if !ptr.Deref(m.Status.Initialization.InfrastructureProvisioned, false) {
				return fmt.Errorf("infrastructure not provisioned")
			}
			return nil
		})
		km := &infrav1.KubernetesMachine{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, km); err != nil {
			t.Fatal(err)
		}
		if !conditions.IsTrue(km, clusterv1.ReadyCondition) {
			t.Errorf("KubernetesMachine Ready: %+v", conditions.Get(km, clusterv1.ReadyCondition))
		}
		wantAddr := []clusterv1.MachineAddress{{Type: clusterv1.MachineHostName, Address: name}, {Type: clusterv1.MachineInternalIP, Address: "10.1.2.3"}}
		if fmt.Sprint(km.Status.Addresses) != fmt.Sprint(wantAddr) {
			t.Errorf("addresses %v, want %v", km.Status.Addresses, wantAddr)
		}
		// The kubelet is told the same provider ID through kubeadm, so Cluster API can match the Node.
		var kubeadmYAML string
		for _, c := range execs.Commands(ns, name) {
			if len(c.Argv) == 5 && strings.HasSuffix(c.Argv[4], "kubeadm.yaml") {
				kubeadmYAML = c.Stdin
			}
		}
		if !strings.Contains(kubeadmYAML, "value: "+want) {
			t.Errorf("kubeadm configuration does not pass provider-id %s to the kubelet:\n%s", want, kubeadmYAML)
		}
	})

	// What a MachineHealthCheck acts on: a node Pod lost after provisioning fails the Machine's
	// infrastructure instead of booting a second node from the same bootstrap data.
	t.Run("LostNodePodFailsTheMachine", func(t *testing.T) {
		if got := getNodePod(t, ns, name).Spec.ForProvider.PodLossPolicy; got != v1alpha1.PodLossPolicyReport {
			t.Errorf("NodePod podLossPolicy %q, want Report", got)
		}
		if err := kube.Delete(ctx, pod, client.GracePeriodSeconds(0)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the Machine's InfrastructureReady to report the lost Pod", func() error {
			m := &clusterv1.Machine{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, m); err != nil {
				return err
			}
			c := conditions.Get(m, clusterv1.MachineInfrastructureReadyCondition)
			if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, string(v1alpha1.ReasonPodLost)) {
				return fmt.Errorf("InfrastructureReady: %+v", c)
			}
			return nil
		})
		if _, err := getPod(ns, name); !kerrors.IsNotFound(err) {
			t.Errorf("a node Pod came back for a Machine of Cluster API: %v", err)
		}
	})

	t.Run("DeletingTheClusterRemovesEverythingOuter", func(t *testing.T) {
		if err := kube.Delete(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c1"}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "Pods, Services and every Cluster API object to be gone", func() error {
			pods := &corev1.PodList{}
			svcs := &corev1.ServiceList{}
			if err := kube.List(ctx, pods, client.InNamespace(ns)); err != nil {
				return err
			}
			if err := kube.List(ctx, svcs, client.InNamespace(ns)); err != nil {
				return err
			}
			if n := len(pods.Items) + len(svcs.Items); n > 0 {
				return fmt.Errorf("%d Pods and %d Services left", len(pods.Items), len(svcs.Items))
			}
			for _, l := range []client.ObjectList{&clusterv1.ClusterList{}, &clusterv1.MachineList{}, &infrav1.KubernetesMachineList{}, &infrav1.KubernetesClusterList{}, &v1alpha1.NodePodList{}, &v1alpha1.NodeServiceList{}} {
				if err := kube.List(ctx, l, client.InNamespace(ns)); err != nil {
					return err
				}
				if n := len(mustItems(l)); n > 0 {
					return fmt.Errorf("%T has %d items left", l, n)
				}
			}
			return nil
		})
	})
}

func mustItems(l client.ObjectList) []any {
	switch l := l.(type) {
	case *clusterv1.ClusterList:
		return anySlice(l.Items)
	case *clusterv1.MachineList:
		return anySlice(l.Items)
	case *infrav1.KubernetesMachineList:
		return anySlice(l.Items)
	case *infrav1.KubernetesClusterList:
		return anySlice(l.Items)
	case *v1alpha1.NodePodList:
		return anySlice(l.Items)
	case *v1alpha1.NodeServiceList:
		return anySlice(l.Items)
	}
	panic(fmt.Sprintf("unexpected list %T", l))
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}
