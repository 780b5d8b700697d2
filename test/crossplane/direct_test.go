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

package crossplane

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

var kindClusterGVK = schema.GroupVersionKind{Group: "platform.kindnode.dev", Version: "v1alpha1", Kind: "KindCluster"}

// createExample creates the KindCluster of examples/kindcluster/<mode>, in its namespace.
func createExample(t *testing.T, mode string) *unstructured.Unstructured {
	t.Helper()
	xr, err := readObject(filepath.Join(testenv.RepoRoot(), "examples", "kindcluster", mode, "kindcluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ensureNamespace(t, xr.GetNamespace())
	if err := kube.Create(context.Background(), xr); err != nil {
		t.Fatal(err)
	}
	return xr
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	err := kube.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

// getXR reads the KindCluster back.
func getXR(t *testing.T, xr *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	u, err := get(context.Background(), kindClusterGVK, xr.GetNamespace(), xr.GetName())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// scaleWorkers sets the KindCluster's spec.workers.replicas.
func scaleWorkers(t *testing.T, xr *unstructured.Unstructured, n int64) {
	t.Helper()
	waitFor(t, "the KindCluster update", func() error {
		u := getXR(t, xr)
		if err := unstructured.SetNestedField(u.Object, n, "spec", "workers", "replicas"); err != nil {
			return err
		}
		return kube.Update(context.Background(), u)
	})
}

// composedBy checks that Crossplane composed obj for xr under the composition resource name res.
func composedBy(xr *unstructured.Unstructured, obj client.Object, res string) error {
	if got := obj.GetAnnotations()["crossplane.io/composition-resource-name"]; got != res {
		return fmt.Errorf("%s: composition resource name %q, want %q", obj.GetName(), got, res)
	}
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != xr.GetKind() || ref.Name != xr.GetName() || ref.UID != xr.GetUID() {
		return fmt.Errorf("%s: controller %+v, want %s %s (%s)", obj.GetName(), ref, xr.GetKind(), xr.GetName(), xr.GetUID())
	}
	return nil
}

// markRunningReady does what a kubelet would for a node Pod.
func markRunningReady(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	waitFor(t, "the node Pod's status update", func() error {
		if err := kube.Get(context.Background(), client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		now := metav1.Now()
		pod.Status = corev1.PodStatus{
			Phase: corev1.PodRunning,
			PodIP: "10.244.0.10",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: kindnode.ContainerName, Ready: true, Image: pod.Spec.Containers[0].Image,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
			}},
		}
		return kube.Status().Update(context.Background(), pod)
	})
}

// nodePodReady waits for the node Pod of a NodePod, marks it running and waits for the NodePod to be ready.
func nodePodReady(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{}
	waitFor(t, "the node Pod of NodePod "+name, func() error {
		return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, pod)
	})
	markRunningReady(t, pod)
	waitFor(t, "NodePod "+name+" Ready", func() error {
		np := &kindnodev1alpha1.NodePod{}
		if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, np); err != nil {
			return err
		}
		if c := np.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
}

// wantNodePod is the spec the function gives the examples' nodes.
func wantNodePod(role kindnodev1alpha1.NodeRole, bootstrap string) kindnodev1alpha1.NodePodParameters {
	return kindnodev1alpha1.NodePodParameters{
		ClusterName:       "demo",
		Role:              role,
		KubernetesVersion: "v1.37.2",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("500m"),
			corev1.ResourceMemory: resource.MustParse("1Gi"),
		}},
		BootstrapDataSecretRef: &kindnodev1alpha1.BootstrapDataSecretReference{Name: bootstrap, Key: "value"},
	}
}

// checkNodePod checks a composed NodePod and returns it.
func checkNodePod(t *testing.T, xr *unstructured.Unstructured, name, res string, want kindnodev1alpha1.NodePodParameters) {
	t.Helper()
	np := &kindnodev1alpha1.NodePod{}
	waitFor(t, "NodePod "+name, func() error {
		return kube.Get(context.Background(), client.ObjectKey{Namespace: xr.GetNamespace(), Name: name}, np)
	})
	if err := composedBy(xr, np, res); err != nil {
		t.Error(err)
	}
	// The fields the function sets; the API server defaults others.
	fp := np.Spec.ForProvider
	got := kindnodev1alpha1.NodePodParameters{
		ClusterName: fp.ClusterName, Role: fp.Role, KubernetesVersion: fp.KubernetesVersion,
		Resources: fp.Resources, Persistence: fp.Persistence, BootstrapDataSecretRef: fp.BootstrapDataSecretRef,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NodePod %s spec.forProvider (-want +got):\n%s", name, diff)
	}
	if diff := cmp.Diff(&xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}, np.Spec.ProviderConfigReference); diff != "" {
		t.Errorf("NodePod %s spec.providerConfigRef (-want +got):\n%s", name, diff)
	}
}

// workerNodePods returns the names of the NodePods of role Worker that exist for the cluster.
func workerNodePods(t *testing.T, ns string) []string {
	t.Helper()
	l := &kindnodev1alpha1.NodePodList{}
	if err := kube.List(context.Background(), l, client.InNamespace(ns), client.MatchingLabels{"crossplane.io/composite": "demo"}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, np := range l.Items {
		if np.Spec.ForProvider.Role == kindnodev1alpha1.NodeRoleWorker && np.DeletionTimestamp == nil {
			names = append(names, np.Name)
		}
	}
	return names
}

// TestDirect composes examples/kindcluster/direct: Crossplane runs function-kindcluster's direct mode, the
// provider turns the composed NodeService and NodePods into a Service and node Pods, their state flows back
// through the function into the KindCluster, and scaling the workers adds and removes NodePods.
func TestDirect(t *testing.T) {
	ctx := context.Background()
	xr := createExample(t, "direct")
	ns := xr.GetNamespace()
	waitFor(t, "the KindCluster's UID", func() error { xr = getXR(t, xr); return nil })

	// Step 1: the cluster certificates and the endpoint NodeService.
	pki := &corev1.Secret{}
	waitFor(t, "the cluster certificates Secret", func() error {
		return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo-pki"}, pki)
	})
	if err := composedBy(xr, pki, "pki"); err != nil {
		t.Error(err)
	}
	for _, k := range []string{"ca.crt", "ca.key", "sa.key", "sa.pub"} {
		if len(pki.Data[k]) == 0 {
			t.Errorf("Secret demo-pki has no %s; it has %v", k, keys(pki.Data))
		}
	}
	nsvc := &kindnodev1alpha1.NodeService{}
	waitFor(t, "the NodeService", func() error {
		return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, nsvc)
	})
	if err := composedBy(xr, nsvc, "endpoint"); err != nil {
		t.Error(err)
	}
	sp := nsvc.Spec.ForProvider
	if diff := cmp.Diff(kindnodev1alpha1.NodeServiceParameters{ClusterName: "demo", Type: corev1.ServiceTypeClusterIP, Port: 6443},
		kindnodev1alpha1.NodeServiceParameters{ClusterName: sp.ClusterName, Type: sp.Type, Port: sp.Port}); diff != "" {
		t.Errorf("NodeService spec.forProvider (-want +got):\n%s", diff)
	}

	// The provider makes the outer Service; its address comes back into the KindCluster as the endpoint.
	svc := &corev1.Service{}
	waitFor(t, "the outer Service", func() error {
		return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo"}, svc)
	})
	endpoint := "https://" + net.JoinHostPort(svc.Spec.ClusterIP, "6443")
	waitFor(t, "status.endpoint "+endpoint, func() error {
		if got, _, _ := unstructured.NestedString(getXR(t, xr).Object, "status", "endpoint"); got != endpoint {
			return fmt.Errorf("status.endpoint is %q", got)
		}
		return nil
	})

	// Step 2 and 3: bootstrap data for the endpoint, the kubeconfig and the first control-plane node; no
	// worker before the control plane is up.
	for name, res := range map[string]string{
		"demo-control-plane-init": "bootstrap-init",
		"demo-control-plane-join": "bootstrap-control-plane",
		"demo-worker-join":        "bootstrap-worker",
		"demo-kubeconfig":         "kubeconfig",
	} {
		s := &corev1.Secret{}
		waitFor(t, "Secret "+name, func() error { return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s) })
		if err := composedBy(xr, s, res); err != nil {
			t.Error(err)
		}
		if res == "kubeconfig" {
			cfg, err := clientcmd.Load(s.Data["value"])
			if err != nil {
				t.Fatalf("Secret demo-kubeconfig: %v", err)
			}
			if c := cfg.Clusters["demo"]; c == nil || c.Server != endpoint || !strings.Contains(string(c.CertificateAuthorityData), strings.TrimSpace(string(pki.Data["ca.crt"]))) {
				t.Errorf("the kubeconfig's cluster is %+v; want server %s and the CA of demo-pki", c, endpoint)
			}
			continue
		}
		if !strings.Contains(string(s.Data["value"]), net.JoinHostPort(svc.Spec.ClusterIP, "6443")) {
			t.Errorf("bootstrap data %s does not name the endpoint %s:6443:\n%s", name, svc.Spec.ClusterIP, s.Data["value"])
		}
	}
	checkNodePod(t, xr, "demo-control-plane-0", "control-plane-0", wantNodePod(kindnodev1alpha1.NodeRoleControlPlane, "demo-control-plane-init"))
	if w := workerNodePods(t, ns); len(w) != 0 {
		t.Errorf("workers %v composed before the first control-plane node is ready", w)
	}

	// The provider makes the node Pod; once a kubelet would run it, the provider bootstraps the node with
	// the function's kubeadm init data.
	nodePodReady(t, ns, "demo-control-plane-0")
	init, ok := execs.Wrote(ns, "demo-control-plane-0", "/run/kubeadm/kubeadm.yaml")
	if !ok || !strings.Contains(init, "controlPlaneEndpoint: "+net.JoinHostPort(svc.Spec.ClusterIP, "6443")) {
		t.Errorf("the first control-plane node did not get kubeadm init configuration for the endpoint; it got %q", init)
	}
	var ran []string
	for _, c := range execs.Commands(ns, "demo-control-plane-0") {
		ran = append(ran, strings.Join(c.Argv, " "))
	}
	if !strings.Contains(strings.Join(ran, "\n"), "kubeadm init") {
		t.Errorf("the first control-plane node did not run kubeadm init; it ran:\n%s", strings.Join(ran, "\n"))
	}

	// Step 4: the workers, with the worker join data.
	checkNodePod(t, xr, "demo-worker-0", "worker-0", wantNodePod(kindnodev1alpha1.NodeRoleWorker, "demo-worker-join"))
	checkNodePod(t, xr, "demo-worker-1", "worker-1", wantNodePod(kindnodev1alpha1.NodeRoleWorker, "demo-worker-join"))
	waitFor(t, "the KindCluster's status to count the nodes", func() error {
		return checkStatus(getXR(t, xr), map[string]any{
			"controlPlane":         map[string]any{"desired": int64(1), "ready": int64(1)},
			"workers":              map[string]any{"desired": int64(2), "ready": int64(0)},
			"kubeconfigSecretName": "demo-kubeconfig",
			"ready":                false,
		})
	})
	nodePodReady(t, ns, "demo-worker-0")
	nodePodReady(t, ns, "demo-worker-1")
	if _, ok := execs.Wrote(ns, "demo-worker-1", "/run/kubeadm/kubeadm-join-config.yaml"); !ok {
		t.Errorf("worker demo-worker-1 did not get kubeadm join configuration")
	}
	waitFor(t, "the KindCluster ready", func() error {
		u := getXR(t, xr)
		if err := checkStatus(u, map[string]any{
			"workers": map[string]any{"desired": int64(2), "ready": int64(2)},
			"ready":   true,
		}); err != nil {
			return err
		}
		if c := conditionOf(u, "Ready"); c.Status != "True" {
			return fmt.Errorf("Ready is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})

	// Scale out: one more worker NodePod, and its node Pod.
	scaleWorkers(t, xr, 3)
	checkNodePod(t, xr, "demo-worker-2", "worker-2", wantNodePod(kindnodev1alpha1.NodeRoleWorker, "demo-worker-join"))
	waitFor(t, "the node Pod of demo-worker-2", func() error {
		return kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo-worker-2"}, &corev1.Pod{})
	})

	// Scale in: Crossplane deletes the NodePods the function no longer composes, and the provider their
	// node Pods.
	scaleWorkers(t, xr, 1)
	for _, name := range []string{"demo-worker-1", "demo-worker-2"} {
		waitFor(t, "NodePod "+name+" to go", func() error {
			return gone(ctx, &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		})
		waitFor(t, "the node Pod "+name+" to go", func() error {
			return gone(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		})
	}
	if w := workerNodePods(t, ns); !cmp.Equal(w, []string{"demo-worker-0"}) {
		t.Errorf("worker NodePods after scaling to 1: %v", w)
	}
	waitFor(t, "the KindCluster's status after scaling in", func() error {
		return checkStatus(getXR(t, xr), map[string]any{
			"workers": map[string]any{"desired": int64(1), "ready": int64(1)},
			"ready":   true,
		})
	})
}

// checkStatus compares fields of the KindCluster's status with want.
func checkStatus(xr *unstructured.Unstructured, want map[string]any) error {
	got := map[string]any{}
	for k := range want {
		v, ok, _ := unstructured.NestedFieldNoCopy(xr.Object, "status", k)
		if ok {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Errorf("status (-want +got):\n%s", diff)
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
