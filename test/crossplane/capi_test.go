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
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	clusterGVK      = schema.GroupVersionKind{Group: "cluster.x-k8s.io", Version: "v1beta2", Kind: "Cluster"}
	kcpGVK          = schema.GroupVersionKind{Group: "controlplane.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmControlPlane"}
	mdGVK           = schema.GroupVersionKind{Group: "cluster.x-k8s.io", Version: "v1beta2", Kind: "MachineDeployment"}
	kctGVK          = schema.GroupVersionKind{Group: "bootstrap.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmConfigTemplate"}
	kubeClusterGVK  = schema.GroupVersionKind{Group: "infrastructure.cluster.x-k8s.io", Version: "v1alpha1", Kind: "KubernetesCluster"}
	kubeTemplateGVK = schema.GroupVersionKind{Group: "infrastructure.cluster.x-k8s.io", Version: "v1alpha1", Kind: "KubernetesMachineTemplate"}
)

// field reads a field of u by path, or nil.
func field(u *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldCopy(u.Object, path...)
	return v
}

// composed waits for the object of kind gvk that Crossplane composed for xr under resource name res.
func composed(t *testing.T, xr *unstructured.Unstructured, gvk schema.GroupVersionKind, res string) *unstructured.Unstructured {
	t.Helper()
	var found *unstructured.Unstructured
	waitFor(t, fmt.Sprintf("the composed %s %q", gvk.Kind, res), func() error {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := kube.List(context.Background(), l, client.InNamespace(xr.GetNamespace()), client.MatchingLabels{"crossplane.io/composite": xr.GetName()}); err != nil {
			return err
		}
		for i := range l.Items {
			if l.Items[i].GetAnnotations()["crossplane.io/composition-resource-name"] == res {
				found = &l.Items[i]
				return composedBy(xr, found, res)
			}
		}
		return fmt.Errorf("none of %d", len(l.Items))
	})
	return found
}

// TestCAPI composes examples/kindcluster/capi into Cluster API objects on Cluster API's own CRDs, each
// pointing at the others by the names they were composed with, and scales the MachineDeployment with the
// KindCluster's workers.
func TestCAPI(t *testing.T) {
	xr := createExample(t, "capi")
	waitFor(t, "the KindCluster's UID", func() error { xr = getXR(t, xr); return nil })

	cluster := composed(t, xr, clusterGVK, "cluster")
	kcp := composed(t, xr, kcpGVK, "control-plane")
	cpTemplate := composed(t, xr, kubeTemplateGVK, "control-plane-machine-template")
	infra := composed(t, xr, kubeClusterGVK, "infrastructure-cluster")
	kct := composed(t, xr, kctGVK, "worker-bootstrap-template")
	workerTemplate := composed(t, xr, kubeTemplateGVK, "worker-machine-template")
	md := composed(t, xr, mdGVK, "workers")

	ref := func(gv, kind, name string) map[string]any {
		return map[string]any{"apiGroup": gv, "kind": kind, "name": name}
	}
	got := map[string]any{
		"Cluster.controlPlaneRef":                   field(cluster, "spec", "controlPlaneRef"),
		"Cluster.infrastructureRef":                 field(cluster, "spec", "infrastructureRef"),
		"Cluster.pods":                              field(cluster, "spec", "clusterNetwork", "pods", "cidrBlocks"),
		"Cluster.services":                          field(cluster, "spec", "clusterNetwork", "services", "cidrBlocks"),
		"KubeadmControlPlane.replicas":              field(kcp, "spec", "replicas"),
		"KubeadmControlPlane.version":               field(kcp, "spec", "version"),
		"KubeadmControlPlane.infrastructureRef":     field(kcp, "spec", "machineTemplate", "spec", "infrastructureRef"),
		"control plane template.persistence":        field(cpTemplate, "spec", "template", "spec", "persistence", "etcd", "size"),
		"control plane template.resources":          field(cpTemplate, "spec", "template", "spec", "resources"),
		"KubernetesCluster.controlPlaneServiceType": field(infra, "spec", "controlPlaneServiceType"),
		"MachineDeployment.clusterName":             field(md, "spec", "clusterName"),
		"MachineDeployment.replicas":                field(md, "spec", "replicas"),
		"MachineDeployment.version":                 field(md, "spec", "template", "spec", "version"),
		"MachineDeployment.bootstrap":               field(md, "spec", "template", "spec", "bootstrap", "configRef"),
		"MachineDeployment.infrastructureRef":       field(md, "spec", "template", "spec", "infrastructureRef"),
	}
	want := map[string]any{
		"Cluster.controlPlaneRef":                   ref("controlplane.cluster.x-k8s.io", "KubeadmControlPlane", kcp.GetName()),
		"Cluster.infrastructureRef":                 ref("infrastructure.cluster.x-k8s.io", "KubernetesCluster", infra.GetName()),
		"Cluster.pods":                              []any{"10.244.0.0/16"},
		"Cluster.services":                          []any{"10.96.0.0/16"},
		"KubeadmControlPlane.replicas":              int64(3),
		"KubeadmControlPlane.version":               "v1.37.2",
		"KubeadmControlPlane.infrastructureRef":     ref("infrastructure.cluster.x-k8s.io", "KubernetesMachineTemplate", cpTemplate.GetName()),
		"control plane template.persistence":        "2Gi",
		"control plane template.resources":          map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "1Gi"}},
		"KubernetesCluster.controlPlaneServiceType": "ClusterIP",
		"MachineDeployment.clusterName":             cluster.GetName(),
		"MachineDeployment.replicas":                int64(1),
		"MachineDeployment.version":                 "v1.37.2",
		"MachineDeployment.bootstrap":               ref("bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate", kct.GetName()),
		"MachineDeployment.infrastructureRef":       ref("infrastructure.cluster.x-k8s.io", "KubernetesMachineTemplate", workerTemplate.GetName()),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("composed Cluster API objects (-want +got):\n%s", diff)
	}
	if field(kct, "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "criSocket") != "unix:///run/containerd/containerd.sock" {
		t.Errorf("KubeadmConfigTemplate %s joins without containerd's socket: %v", kct.GetName(), field(kct, "spec", "template", "spec"))
	}

	// Workers 1 -> 3: the MachineDeployment follows, nothing else is composed anew.
	scaleWorkers(t, xr, 3)
	waitFor(t, "the MachineDeployment to scale", func() error {
		md, err := get(context.Background(), mdGVK, md.GetNamespace(), md.GetName())
		if err != nil {
			return err
		}
		if r := field(md, "spec", "replicas"); r != int64(3) {
			return fmt.Errorf("spec.replicas is %v", r)
		}
		return nil
	})
	if w := composed(t, xr, kubeTemplateGVK, "worker-machine-template"); w.GetName() != workerTemplate.GetName() {
		t.Errorf("scaling replaced the worker template %s with %s", workerTemplate.GetName(), w.GetName())
	}
}
