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
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

func newNodePod(ns, name string, mutate ...func(*v1alpha1.NodePod)) *v1alpha1.NodePod {
	np := &v1alpha1.NodePod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.NodePodSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "default"},
			},
			ForProvider: v1alpha1.NodePodParameters{
				ClusterName:       "inner",
				Role:              v1alpha1.NodeRoleWorker,
				KubernetesVersion: "v1.37.2",
			},
		},
	}
	for _, fn := range mutate {
		fn(np)
	}
	return np
}

func getPod(ns, name string) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pod)
	return pod, err
}

func getNodePod(t *testing.T, ns, name string) *v1alpha1.NodePod {
	t.Helper()
	np := &v1alpha1.NodePod{}
	if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, np); err != nil {
		t.Fatal(err)
	}
	return np
}

// markRunningReady does what a kubelet would: no kubelet runs against the test API server.
func markRunningReady(t testing.TB, pod *corev1.Pod) {
	t.Helper()
	markRunningReadyIn(t, kube, pod)
}

// markRunningReadyIn does what a kubelet would in the cluster c reaches.
func markRunningReadyIn(t testing.TB, c client.Client, pod *corev1.Pod) {
	t.Helper()
	now := metav1.Now()
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		PodIP: "10.1.2.3",
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
	if err := c.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
}

// waitForPodAndNodePodGone waits until the NodePod ns/name and its node Pod (of the same name, in the same
// namespace) are gone.
func waitForPodAndNodePodGone(t *testing.T, ns, name string) {
	t.Helper()
	waitFor(t, "Pod and NodePod to be gone", func() error {
		if _, err := getPod(ns, name); !kerrors.IsNotFound(err) {
			return fmt.Errorf("pod: %v", err)
		}
		err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &v1alpha1.NodePod{})
		if !kerrors.IsNotFound(err) {
			return fmt.Errorf("NodePod still there: %v", err)
		}
		return nil
	})
}

func updateNodePod(t *testing.T, ns, name string, fn func(*v1alpha1.NodePod)) {
	t.Helper()
	waitFor(t, "NodePod update", func() error {
		np := getNodePod(t, ns, name)
		fn(np)
		return kube.Update(context.Background(), np)
	})
}

func TestNodePodLifecycle(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	np := newNodePod(ns, "worker-0", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Labels = map[string]string{"team": "a"}
	})
	if err := kube.Create(ctx, np); err != nil {
		t.Fatal(err)
	}

	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) {
		pod, err = getPod(ns, "worker-0")
		return err
	})
	if got, want := pod.Spec.Containers[0].Image, "kindest/node:v1.37.2"; got != want {
		t.Errorf("node image: got %q, want %q", got, want)
	}
	if sc := pod.Spec.Containers[0].SecurityContext; sc == nil || sc.Privileged == nil || !*sc.Privileged {
		t.Errorf("node container is not privileged: %+v", sc)
	}
	if got := pod.Labels[kindnode.LabelClusterName]; got != "inner" {
		t.Errorf("cluster label: got %q", got)
	}
	if got := pod.Labels["team"]; got != "a" {
		t.Errorf("forProvider label: got %q", got)
	}

	t.Run("NotReadyUntilPodReady", func(t *testing.T) {
		waitFor(t, "Ready=False while the Pod is pending", func() error {
			c := condition(getNodePod(t, ns, "worker-0").Status.Conditions, xpv2.TypeReady)
			if c.Status != corev1.ConditionFalse {
				return fmt.Errorf("Ready is %s (%s)", c.Status, c.Reason)
			}
			return nil
		})
	})

	t.Run("ReadyFollowsPodReadyThroughTheWatch", func(t *testing.T) {
		markRunningReady(t, pod)
		waitFor(t, "Ready=True", func() error {
			got := getNodePod(t, ns, "worker-0")
			if c := condition(got.Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
			}
			if got.Status.AtProvider.PodIP != "10.1.2.3" {
				return fmt.Errorf("podIP is %q", got.Status.AtProvider.PodIP)
			}
			if want := "kubernetes://" + ns + "/worker-0"; got.Status.AtProvider.ProviderID != want {
				return fmt.Errorf("providerID is %q, want %q", got.Status.AtProvider.ProviderID, want)
			}
			return nil
		})
	})

	t.Run("ForProviderLabelChangeIsApplied", func(t *testing.T) {
		updateNodePod(t, ns, "worker-0", func(np *v1alpha1.NodePod) {
			np.Spec.ForProvider.Labels = map[string]string{"tier": "b"}
		})
		waitFor(t, "Pod labels to follow forProvider", func() error {
			p, err := getPod(ns, "worker-0")
			if err != nil {
				return err
			}
			if p.Labels["tier"] != "b" {
				return fmt.Errorf("label tier is %q", p.Labels["tier"])
			}
			if _, ok := p.Labels["team"]; ok {
				return fmt.Errorf("label team was removed from forProvider but is still on the Pod")
			}
			return nil
		})
	})

	t.Run("DriftOnThePodIsRepaired", func(t *testing.T) {
		p, err := getPod(ns, "worker-0")
		if err != nil {
			t.Fatal(err)
		}
		patch := client.MergeFrom(p.DeepCopy())
		delete(p.Labels, "tier")
		p.Labels["added-by-someone-else"] = "x"
		if err := kube.Patch(ctx, p, patch); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the removed label to come back", func() error {
			p, err := getPod(ns, "worker-0")
			if err != nil {
				return err
			}
			if p.Labels["tier"] != "b" {
				return fmt.Errorf("label tier is %q", p.Labels["tier"])
			}
			if p.Labels["added-by-someone-else"] != "x" {
				return fmt.Errorf("a label the provider does not own was removed")
			}
			return nil
		})
	})

	t.Run("ImmutableChangeIsReported", func(t *testing.T) {
		updateNodePod(t, ns, "worker-0", func(np *v1alpha1.NodePod) {
			np.Spec.ForProvider.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
		})
		waitFor(t, "PodUpToDate=False", func() error {
			c := condition(getNodePod(t, ns, "worker-0").Status.Conditions, v1alpha1.TypePodUpToDate)
			if c.Status != corev1.ConditionFalse || c.Reason != v1alpha1.ReasonImmutableFieldChanged {
				return fmt.Errorf("PodUpToDate is %s/%s", c.Status, c.Reason)
			}
			if !strings.Contains(c.Message, "updatePolicy") {
				return fmt.Errorf("message does not say what to do: %q", c.Message)
			}
			return nil
		})
		p, err := getPod(ns, "worker-0")
		if err != nil {
			t.Fatal(err)
		}
		if p.UID != pod.UID {
			t.Fatalf("the Pod was replaced under updatePolicy Report")
		}
	})

	t.Run("RecreatePolicyReplacesThePod", func(t *testing.T) {
		updateNodePod(t, ns, "worker-0", func(np *v1alpha1.NodePod) {
			np.Spec.ForProvider.UpdatePolicy = v1alpha1.UpdatePolicyRecreate
		})
		waitFor(t, "a new Pod with the new resources", func() error {
			p, err := getPod(ns, "worker-0")
			if err != nil {
				return err
			}
			if p.UID == pod.UID {
				return fmt.Errorf("still the old Pod")
			}
			if got := p.Spec.Containers[0].Resources.Requests.Cpu().String(); got != "100m" {
				return fmt.Errorf("cpu request is %s", got)
			}
			return nil
		})
	})

	t.Run("DeletingTheNodePodDeletesThePod", func(t *testing.T) {
		if err := kube.Delete(ctx, getNodePod(t, ns, "worker-0")); err != nil {
			t.Fatal(err)
		}
		waitForPodAndNodePodGone(t, ns, "worker-0")
	})
}

func TestNodePodPaused(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodePod(ns, "paused")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node Pod", func() error { _, err := getPod(ns, "paused"); return err })

	updateNodePod(t, ns, "paused", func(np *v1alpha1.NodePod) {
		meta.AddAnnotations(np, map[string]string{meta.AnnotationKeyReconciliationPaused: "true"})
	})
	waitFor(t, "Synced=False ReconcilePaused", func() error {
		c := condition(getNodePod(t, ns, "paused").Status.Conditions, xpv2.TypeSynced)
		if c.Reason != xpv2.ReasonReconcilePaused {
			return fmt.Errorf("Synced is %s/%s", c.Status, c.Reason)
		}
		return nil
	})
	// Poke the Pod, then change the spec: neither may lead to an update of the Pod while paused. A paused
	// reconcile writes nothing but a status that changed, so the one the Pod's watch event asks for leaves no
	// trace to wait for; the spec change's does, as Synced records the generation it saw. That reconcile read
	// the new labels, as the Pod event's would have, and had as much reason to apply them.
	p, err := getPod(ns, "paused")
	if err != nil {
		t.Fatal(err)
	}
	markRunningReady(t, p)
	updateNodePod(t, ns, "paused", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Labels = map[string]string{"while": "paused"}
	})
	generation := getNodePod(t, ns, "paused").Generation
	waitFor(t, "a paused reconcile of the new spec", func() error {
		c := condition(getNodePod(t, ns, "paused").Status.Conditions, xpv2.TypeSynced)
		if c.Reason != xpv2.ReasonReconcilePaused || c.ObservedGeneration < generation {
			return fmt.Errorf("Synced is %s/%s for generation %d, want ReconcilePaused for %d", c.Status, c.Reason, c.ObservedGeneration, generation)
		}
		return nil
	})
	if p, err = getPod(ns, "paused"); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Labels["while"]; ok {
		t.Fatalf("a paused NodePod changed its Pod")
	}

	updateNodePod(t, ns, "paused", func(np *v1alpha1.NodePod) {
		meta.RemoveAnnotations(np, meta.AnnotationKeyReconciliationPaused)
	})
	waitFor(t, "the change to apply after unpausing", func() error {
		p, err := getPod(ns, "paused")
		if err != nil {
			return err
		}
		if p.Labels["while"] != "paused" {
			return fmt.Errorf("label not applied yet")
		}
		return nil
	})
}

func TestNodePodBootstrapFailureIsReported(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	data := "#cloud-config\nwrite_files:\n- path: /etc/hello\n  content: hi\nruncmd:\n- [kubeadm, join]\n"
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(data), "format": []byte("cloud-config")}}
	if err := kube.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, "boot", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, "boot"); return err })
	waitFor(t, "Bootstrapped=False WaitingForPod", func() error {
		c := condition(getNodePod(t, ns, "boot").Status.Conditions, v1alpha1.TypeBootstrapped)
		if c.Reason != v1alpha1.ReasonWaitingForPod {
			return fmt.Errorf("Bootstrapped is %s/%s", c.Status, c.Reason)
		}
		return nil
	})
	// The Pod runs, but it is on no node: the API server cannot exec into it, as when a kubelet is
	// unreachable. The failure must surface, and the node must not count as Ready.
	markRunningReady(t, pod)
	waitFor(t, "Bootstrapped=False BootstrapFailed", func() error {
		np := getNodePod(t, ns, "boot")
		c := condition(np.Status.Conditions, v1alpha1.TypeBootstrapped)
		if c.Reason != v1alpha1.ReasonBootstrapFailed {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		if !strings.Contains(c.Message, "cannot exec in node Pod") || !strings.Contains(c.Message, "does not have a host assigned") {
			return fmt.Errorf("message does not say why the bootstrap failed: %q", c.Message)
		}
		if r := condition(np.Status.Conditions, xpv2.TypeReady); r.Status == corev1.ConditionTrue {
			return fmt.Errorf("Ready although the bootstrap failed")
		}
		return nil
	})
}

func TestNodePodWaitsForBootstrapData(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodePod(ns, "nodata", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "later"}
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, "nodata"); return err })
	markRunningReady(t, pod)
	waitFor(t, "Bootstrapped=False WaitingForBootstrapData", func() error {
		c := condition(getNodePod(t, ns, "nodata").Status.Conditions, v1alpha1.TypeBootstrapped)
		if c.Reason != v1alpha1.ReasonWaitingForData || !strings.Contains(c.Message, "later") {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
}

func TestNodePodBootstrapSucceeds(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	name := fakeExecPrefix + "cp"
	data := "## template: jinja\n#cloud-config\nwrite_files:\n- path: /run/kubeadm/kubeadm.yaml\n  permissions: '0640'\n  content: |\n    kind: InitConfiguration\nruncmd:\n- 'kubeadm init --config /run/kubeadm/kubeadm.yaml && echo success > /run/cluster-api/bootstrap-success.complete'\n"
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(data)}}
	if err := kube.Create(ctx, s); err != nil {
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
	waitFor(t, "Bootstrapped=True and Ready=True", func() error {
		np := getNodePod(t, ns, name)
		if c := condition(np.Status.Conditions, v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		if c := condition(np.Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		if !np.Status.AtProvider.Bootstrapped {
			return fmt.Errorf("atProvider.bootstrapped is false")
		}
		return nil
	})

	var argv []string
	var wrote string
	for _, c := range execs.Commands(ns, name) {
		argv = append(argv, strings.Join(c.Argv, " "))
		if len(c.Argv) == 5 && c.Argv[4] == "/run/kubeadm/kubeadm.yaml" {
			wrote = c.Stdin
		}
	}
	want := []string{
		"wait for containerd",
		"mkdir -p /run/kubeadm",
		`/bin/sh -c cat > "$1" sh /run/kubeadm/kubeadm.yaml`,
		"chmod 0640 /run/kubeadm/kubeadm.yaml",
		"kubeadm init --ignore-preflight-errors=all --config /run/kubeadm/kubeadm.yaml",
	}
	joined := strings.Join(argv, "\n")
	for _, w := range want {
		containerdWait := w == "wait for containerd" && strings.Contains(joined, "systemctl is-active --quiet containerd")
		if !strings.Contains(joined, w) && !containerdWait {
			t.Errorf("the node did not receive %q; it received:\n%s", w, joined)
		}
	}
	if wrote != "kind: InitConfiguration\n" {
		t.Errorf("file content went over stdin as %q", wrote)
	}

	// A bootstrapped node is not bootstrapped again when its Pod changes. The NodePod shows the Pod's new
	// address once a reconcile saw the change; a bootstrap that reconcile started again would have sent the
	// node its look for the sentinel by then, and would show in the same status.
	before := sent.to(ns, name)
	const moved = "10.1.2.4"
	waitFor(t, "the Pod's new address", func() error {
		p, err := getPod(ns, name)
		if err != nil {
			return err
		}
		p.Status.PodIP = moved
		return kube.Status().Update(ctx, p)
	})
	waitFor(t, "the NodePod to show the Pod's new address", func() error {
		np := getNodePod(t, ns, name)
		if np.Status.AtProvider.PodIP != moved {
			return fmt.Errorf("atProvider.podIP is %q", np.Status.AtProvider.PodIP)
		}
		if c := condition(np.Status.Conditions, v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue || !np.Status.AtProvider.Bootstrapped {
			t.Errorf("the bootstrap started again: Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	if after := sent.to(ns, name); after != before {
		t.Errorf("the bootstrap ran again: %d commands sent to the node, then %d", before, after)
	}
}

// TestNodePodObserveOnlyNeverExecs observes a running node Pod whose NodePod may only observe: its bootstrap
// is due, and nothing runs in the node until the management policies allow updates.
func TestNodePodObserveOnlyNeverExecs(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	name := fakeExecPrefix + "observed"
	data := "#cloud-config\nruncmd:\n- 'kubeadm join --config /run/kubeadm/kubeadm.yaml'\n"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(data)}}); err != nil {
		t.Fatal(err)
	}
	np := newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
		np.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
		// An Observe-only managed resource names what it observes.
		meta.SetExternalName(np, name)
	})
	// An Observe-only NodePod creates no Pod: the Pod it observes is made as the provider would have made it.
	pod, err := kindnode.BuildPod(kindnode.Node{
		Name: name, Namespace: ns, Params: np.Spec.ForProvider,
		Owner: kindnode.Owner{Kind: v1alpha1.NodePodKind, Name: name, Namespace: ns},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	markRunningReady(t, pod)
	if err := kube.Create(ctx, np); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "Bootstrapped False, ReadyToBootstrap", func() error {
		c := getNodePod(t, ns, name).Status.GetCondition(v1alpha1.TypeBootstrapped)
		if c.Reason != v1alpha1.ReasonReadyToBootstrap || !strings.Contains(c.Message, "managementPolicies") {
			return fmt.Errorf("Bootstrapped is %s %s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	// The reconcile that wrote the condition would have started the bootstrap before it wrote it, and the
	// bootstrap's first command goes out at once.
	if n := sent.to(ns, name); n != 0 {
		t.Fatalf("an Observe-only NodePod sent %d commands to its node", n)
	}

	// Allowed to update, the same NodePod bootstraps the node: the commands above would have been seen.
	waitFor(t, "management policies allowing updates", func() error {
		np := getNodePod(t, ns, name)
		np.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionUpdate}
		return kube.Update(ctx, np)
	})
	waitFor(t, "Bootstrapped True", func() error {
		if c := getNodePod(t, ns, name).Status.GetCondition(v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Bootstrapped is %s %s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	if sent.to(ns, name) == 0 {
		t.Fatal("the bootstrap sent nothing to the node")
	}
}

// TestNodePodBootstrapOutlivesTheProvider restarts the provider while kubeadm init runs in the node: the new
// provider finds the run where it is and follows it to its end, and no command runs twice.
func TestNodePodBootstrapOutlivesTheProvider(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	name := fakeExecPrefix + "restarted"
	data := "#cloud-config\nwrite_files:\n- path: /run/kubeadm/kubeadm.yaml\n  content: |\n    kind: InitConfiguration\nruncmd:\n- 'kubeadm init --config /run/kubeadm/kubeadm.yaml'\n- 'echo done'\n"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(data)}}); err != nil {
		t.Fatal(err)
	}
	release := execs.Hold(ns, name, func(c bootstrap.Command) bool { return strings.Contains(strings.Join(c.Argv, " "), "kubeadm init") })
	defer release()
	if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })
	markRunningReady(t, pod)

	// The provider reports progress at its polls only; the node's own record says that kubeadm init runs.
	waitFor(t, "kubeadm init running in the node", func() error {
		for _, c := range execs.Commands(ns, name) {
			if strings.Contains(strings.Join(c.Argv, " "), "kubeadm init") {
				return nil
			}
		}
		return fmt.Errorf("the node ran %d commands", len(execs.Commands(ns, name)))
	})
	restartProvider(t)
	// The new provider follows the run: it reports the step the node is at, not a run of its own.
	waitFor(t, "the new provider following kubeadm init", func() error {
		c := getNodePod(t, ns, name).Status.GetCondition(v1alpha1.TypeBootstrapped)
		if c.Reason != v1alpha1.ReasonBootstrapping || !strings.Contains(c.Message, "kubeadm init") {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	release()
	waitFor(t, "Bootstrapped=True", func() error {
		np := getNodePod(t, ns, name)
		if c := np.Status.GetCondition(v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue || !np.Status.AtProvider.Bootstrapped {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})

	seen := map[string]int{}
	var ran []string
	for _, c := range execs.Commands(ns, name) {
		argv := strings.Join(c.Argv, " ")
		seen[argv]++
		ran = append(ran, argv)
	}
	for argv, n := range seen {
		if n > 1 {
			t.Errorf("%q ran %d times; the node ran:\n%s", argv, n, strings.Join(ran, "\n"))
		}
	}
	if !strings.Contains(strings.Join(ran, "\n"), "echo done") {
		t.Errorf("the run did not go on after kubeadm init; the node ran:\n%s", strings.Join(ran, "\n"))
	}
	observed(t, "provider restarted during kubeadm init; the new one followed the run to its end: %d commands, each once", len(ran))
}

// TestNodePodBootstrapFailurePolicy fails kubeadm join in two nodes: under Fail the NodePod reports the step
// and its output and leaves it; under Retry (unset) it reports the same, then runs that step again, and only
// that step, and the node comes up.
func TestNodePodBootstrapFailurePolicy(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	data := "#cloud-config\nruncmd:\n- 'echo before'\n- 'kubeadm join --config /run/kubeadm/kubeadm.yaml'\n- 'echo after'\n"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(data)}}); err != nil {
		t.Fatal(err)
	}
	join := func(c bootstrap.Command) bool { return strings.Contains(strings.Join(c.Argv, " "), "kubeadm join") }
	for _, policy := range []v1alpha1.BootstrapFailurePolicy{v1alpha1.BootstrapFailurePolicyFail, ""} {
		name := fakeExecPrefix + strings.ToLower(string(policy)+"-unset")
		execs.Fail(ns, name, join, "error execution phase preflight: couldn't validate the identity of the API Server")
		if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
			np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
			np.Spec.ForProvider.BootstrapFailurePolicy = policy
		})); err != nil {
			t.Fatal(err)
		}
		var pod *corev1.Pod
		waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })
		markRunningReady(t, pod)
	}

	fail := fakeExecPrefix + "fail-unset"
	waitFor(t, "Bootstrapped=False BootstrapFailed under Fail", func() error {
		c := getNodePod(t, ns, fail).Status.GetCondition(v1alpha1.TypeBootstrapped)
		for _, want := range []string{"kubeadm join", "exited with code 1", "couldn't validate the identity", "not retried"} {
			if c.Reason != v1alpha1.ReasonBootstrapFailed || !strings.Contains(c.Message, want) {
				return fmt.Errorf("Bootstrapped is %s/%s: %s; want %q in the message", c.Status, c.Reason, c.Message, want)
			}
		}
		return nil
	})

	retried := fakeExecPrefix + "-unset"
	waitFor(t, "Bootstrapped=True under Retry", func() error {
		np := getNodePod(t, ns, retried)
		if c := np.Status.GetCondition(v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	count := func(pod, what string) int {
		n := 0
		for _, c := range execs.Commands(ns, pod) {
			if strings.Contains(strings.Join(c.Argv, " "), what) {
				n++
			}
		}
		return n
	}
	for what, want := range map[string]int{"echo before": 1, "kubeadm join": 2, "echo after": 1} {
		if got := count(retried, what); got != want {
			t.Errorf("under Retry, %q ran %d times, want %d", what, got, want)
		}
	}
	// Under Fail, nothing runs again, however long the failure is reported.
	time.Sleep(3 * time.Second) // Longer than the tests' retry delay (testprovider), to show nothing comes.
	for what, want := range map[string]int{"echo before": 1, "kubeadm join": 1, "echo after": 0} {
		if got := count(fail, what); got != want {
			t.Errorf("under Fail, %q ran %d times, want %d", what, got, want)
		}
	}
}
