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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestKubernetesClusterDefaultsAndValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)

	kc := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "defaults"}}
	if err := kube.Create(ctx, kc); err != nil {
		t.Fatal(err)
	}
	if kc.Spec.ControlPlaneServiceType != corev1.ServiceTypeClusterIP {
		t.Errorf("controlPlaneServiceType defaults to %q, want ClusterIP", kc.Spec.ControlPlaneServiceType)
	}

	bad := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad"}, Spec: infrav1.KubernetesClusterSpec{ControlPlaneServiceType: "ExternalName"}}
	if err := kube.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "spec.controlPlaneServiceType") {
		t.Errorf("an ExternalName endpoint was not refused clearly: %v", err)
	}

	withRef := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"},
		Spec: infrav1.KubernetesClusterSpec{InfraClusterSecretRef: &infrav1.KubeconfigSecretReference{Name: "outer"}}}
	if err := kube.Create(ctx, withRef); err != nil {
		t.Fatal(err)
	}
	if withRef.Spec.InfraClusterSecretRef.Key != "kubeconfig" {
		t.Errorf("infraClusterSecretRef.key defaults to %q", withRef.Spec.InfraClusterSecretRef.Key)
	}
	withRef.Spec.InfraClusterSecretRef.Name = "elsewhere"
	if err := kube.Update(ctx, withRef); err == nil || !strings.Contains(err.Error(), "infraClusterSecretRef is immutable") {
		t.Errorf("moving a cluster to another outer cluster was not refused: %v", err)
	}
}

func TestTemplatesAreImmutable(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	tmpl := &infrav1.KubernetesMachineTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "md-0"},
		Spec: infrav1.KubernetesMachineTemplateSpec{Template: infrav1.KubernetesMachineTemplateResource{Spec: infrav1.KubernetesMachineSpec{
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}},
		}}},
	}
	if err := kube.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}

	// ClusterClass's topology controller server-side applies templates in dry-run to compare them; an apply
	// that changes nothing must pass.
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": infrav1.GroupVersion.String(), "kind": "KubernetesMachineTemplate",
		"metadata": map[string]any{"name": "md-0", "namespace": ns},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "500m"}}}}},
	}}
	if err := kube.Patch(ctx, u, client.Apply, client.DryRunAll, client.FieldOwner("capi-topology"), client.ForceOwnership); err != nil { //nolint:staticcheck // The topology controller applies this way.
		t.Errorf("a server-side dry-run apply of the same template was refused: %v", err)
	}

	tmpl.Spec.Template.Spec.Image = "example.org/node:other"
	if err := kube.Update(ctx, tmpl); err == nil || !strings.Contains(err.Error(), "spec.template is immutable") {
		t.Errorf("a template change was not refused clearly: %v", err)
	}

	ct := &infrav1.KubernetesClusterTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cc"}}
	if err := kube.Create(ctx, ct); err != nil {
		t.Fatal(err)
	}
	ct.Spec.Template.Spec.ControlPlaneServiceType = corev1.ServiceTypeNodePort
	if err := kube.Update(ctx, ct); err == nil || !strings.Contains(err.Error(), "spec.template is immutable") {
		t.Errorf("a cluster template change was not refused clearly: %v", err)
	}
}

func TestExternallyManagedKubernetesClusterIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "ext", func(kc *infrav1.KubernetesCluster) {
		kc.Annotations = map[string]string{clusterv1.ManagedByAnnotation: "someone-else"}
	})
	// What the provider leaves alone leaves no trace. So wait for what it would act on, Cluster API's owner
	// reference, and then for it to act on a cluster that came after: it sees KubernetesClusters' events in
	// the order they happened, and the later cluster's NodeService takes a reconcile, Cluster API's adoption
	// and a second reconcile, where one would have made this cluster's.
	waitFor(t, "Cluster API to adopt the KubernetesCluster", func() error {
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "ext"}, kc); err != nil {
			return err
		}
		if len(kc.OwnerReferences) == 0 {
			return fmt.Errorf("no owner reference")
		}
		return nil
	})
	newCAPICluster(t, ns, "later")
	waitFor(t, "the NodeService of a cluster made later", func() error {
		return kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "later"}, &v1alpha1.NodeService{})
	})
	err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "ext"}, &v1alpha1.NodeService{})
	if !kerrors.IsNotFound(err) {
		t.Fatalf("the provider made a NodeService for an externally managed KubernetesCluster: %v", err)
	}
	kc := &infrav1.KubernetesCluster{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "ext"}, kc); err != nil {
		t.Fatal(err)
	}
	if len(kc.Finalizers) > 0 {
		t.Errorf("finalizers added to an externally managed KubernetesCluster: %v", kc.Finalizers)
	}
}

func TestPausedClusterIsNotReconciled(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "paused")
	// A cluster that is not paused, to show when the provider has acted on what follows.
	newCAPICluster(t, ns, "running")
	// Cluster API adopts the KubernetesCluster (owner reference) only while the Cluster is not paused.
	waitFor(t, "the NodeService", func() error {
		return kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, &v1alpha1.NodeService{})
	})
	running := &v1alpha1.NodeService{}
	waitFor(t, "the running cluster's NodeService", func() error {
		return kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "running"}, running)
	})
	waitFor(t, "the Cluster to be paused", func() error {
		c := &clusterv1.Cluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, c); err != nil {
			return err
		}
		c.Spec.Paused = ptr.To(true)
		return kube.Update(ctx, c)
	})
	waitFor(t, "Paused=True on the KubernetesCluster", func() error {
		kc := &infrav1.KubernetesCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, kc); err != nil {
			return err
		}
		if !conditions.IsTrue(kc, clusterv1.PausedCondition) {
			return fmt.Errorf("Paused: %+v", conditions.Get(kc, clusterv1.PausedCondition))
		}
		return nil
	})
	_ = kube.Delete(ctx, &v1alpha1.NodeService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "paused"}})
	waitFor(t, "any NodeService to be gone", func() error {
		err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, &v1alpha1.NodeService{})
		if !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there: %v", err)
		}
		return nil
	})
	// A paused reconcile leaves no trace; the running cluster's shows when the provider has seen the
	// deletion: it sees NodeServices' events in the order they happened, and makes the running cluster's
	// NodeService again after this one's deletion, in a reconcile like the one that would make this one.
	if err := kube.Delete(ctx, running); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the running cluster's NodeService to be made again", func() error {
		svc := &v1alpha1.NodeService{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "running"}, svc); err != nil {
			return err
		}
		if svc.UID == running.UID {
			return fmt.Errorf("still the deleted one")
		}
		return nil
	})
	if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, &v1alpha1.NodeService{}); !kerrors.IsNotFound(err) {
		t.Fatalf("a paused KubernetesCluster made its NodeService again: %v", err)
	}

	waitFor(t, "the Cluster to be unpaused", func() error {
		c := &clusterv1.Cluster{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, c); err != nil {
			return err
		}
		c.Spec.Paused = nil
		return kube.Update(ctx, c)
	})
	waitFor(t, "the NodeService once unpaused", func() error {
		return kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "paused"}, &v1alpha1.NodeService{})
	})
}

func TestDeleteForMoveKeepsTheNode(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "mv")
	name := fakeExecPrefix + "mv-0"
	newCAPIMachine(t, ns, "mv", name)
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) { pod, err = getPod(ns, name); return err })

	// What clusterctl move does to the source cluster's objects once they are copied.
	waitFor(t, "the move annotation", func() error {
		km := &infrav1.KubernetesMachine{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, km); err != nil {
			return err
		}
		metav1.SetMetaDataAnnotation(&km.ObjectMeta, clusterctlv1.DeleteForMoveAnnotation, "")
		return kube.Update(ctx, km)
	})
	if err := kube.Delete(ctx, &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the KubernetesMachine and its NodePod to be gone", func() error {
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &infrav1.KubernetesMachine{}); !kerrors.IsNotFound(err) {
			return fmt.Errorf("KubernetesMachine: %v", err)
		}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &v1alpha1.NodePod{}); !kerrors.IsNotFound(err) {
			return fmt.Errorf("NodePod: %v", err)
		}
		return nil
	})
	got, err := getPod(ns, name)
	if err != nil {
		t.Fatalf("the node Pod went with a move: %v", err)
	}
	if got.UID != pod.UID {
		t.Fatalf("the node Pod was replaced during a move")
	}
}
