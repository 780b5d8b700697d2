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

package clusterctl_test

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestInfrastructureComponentsApply installs the components as clusterctl init would: processed by clusterctl
// (variables filled in, inventory labels added), then applied. The API server checks every object in a
// server-side dry run. The namespace and RBAC are then applied for real, so that Pod Security admission can
// judge the manager's Pod and the API server's authorizer can say what the manager, and Cluster API through
// the aggregated role, may do.
func TestInfrastructureComponentsApply(t *testing.T) {
	ctx := context.Background()
	out := clusterctl(t, nil, "generate", "provider", "--infrastructure", "kubernetes:"+version, "--config", clusterctlConfig)
	objs, err := decode([]byte(out))
	if err != nil {
		t.Fatalf("cannot decode clusterctl generate provider's output: %v", err)
	}
	for _, o := range objs {
		err := kube.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.DryRunAll,
			client.FieldOwner("capkn-clusterctl-test"), client.ForceOwnership)
		if err != nil {
			t.Errorf("the API server rejects %s: %v", ref(o), err)
		}
	}
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding":
			if err := kube.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("capkn-clusterctl-test")); err != nil {
				t.Fatalf("cannot apply %s: %v", ref(o), err)
			}
		}
	}
	// The namespace enforces the restricted Pod Security level; the manager's Pod must meet it.
	if d := find(objs, "Deployment", "capkn-controller-manager"); d == nil {
		t.Error("no Deployment capkn-controller-manager")
	} else {
		spec, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
		pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "spec": spec}}
		pod.SetName("capkn-controller-manager-pod-security")
		pod.SetNamespace(providerNamespace)
		if err := kube.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Errorf("the manager's Pod does not meet its namespace's Pod Security level: %v", err)
		}
	}

	// No kube-controller-manager aggregates ClusterRoles here, so Cluster API's manager is stood in for by a
	// user bound to the aggregated role directly.
	capi := &rbacv1.ClusterRoleBinding{}
	capi.Name = "capkn-test-capi-manager"
	capi.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "capkn-aggregated-manager-role"}
	capi.Subjects = []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "capi-manager"}}
	if err := kube.Create(ctx, capi); err != nil {
		t.Fatal(err)
	}

	manager := "system:serviceaccount:" + providerNamespace + ":capkn-manager"
	type access struct{ user, verb, group, resource, subresource string }
	cases := map[string]struct {
		reason string
		access []access
		want   bool
	}{
		"ManagerReconcilesInfrastructure": {
			reason: "The manager reconciles KubernetesClusters and KubernetesMachines, their status and finalizers.",
			access: []access{
				{manager, "watch", "infrastructure.cluster.x-k8s.io", "kubernetesclusters", ""},
				{manager, "patch", "infrastructure.cluster.x-k8s.io", "kubernetesclusters", "status"},
				{manager, "update", "infrastructure.cluster.x-k8s.io", "kubernetesmachines", "finalizers"},
				{manager, "patch", "infrastructure.cluster.x-k8s.io", "kubernetesmachines", "status"},
			},
			want: true,
		},
		"ManagerReadsClusterAPI": {
			reason: "The manager reads the Clusters and Machines that own its objects.",
			access: []access{
				{manager, "list", "cluster.x-k8s.io", "clusters", ""},
				{manager, "watch", "cluster.x-k8s.io", "machines", ""},
			},
			want: true,
		},
		"ManagerDoesNotWriteClusterAPI": {
			reason: "Clusters and Machines belong to Cluster API; the manager only reads them.",
			access: []access{
				{manager, "delete", "cluster.x-k8s.io", "clusters", ""},
				{manager, "patch", "cluster.x-k8s.io", "machines", ""},
			},
			want: false,
		},
		"ManagerRunsNodes": {
			reason: "The manager creates NodePods and NodeServices, and their Pods, Services and claims, and execs kubeadm.",
			access: []access{
				{manager, "create", "kindnode.dev", "nodepods", ""},
				{manager, "update", "kindnode.dev", "nodeservices", "status"},
				{manager, "create", "kindnode.dev", "providerconfigusages", ""},
				{manager, "create", "", "pods", ""},
				{manager, "delete", "", "services", ""},
				{manager, "create", "", "persistentvolumeclaims", ""},
				{manager, "create", "", "pods", "exec"},
				{manager, "get", "", "pods", "exec"},
				{manager, "create", "", "secrets", ""},
				{manager, "create", "", "events", ""},
				{manager, "create", "policy", "poddisruptionbudgets", ""},
				{manager, "update", "coordination.k8s.io", "leases", ""},
				{manager, "watch", "apiextensions.k8s.io", "customresourcedefinitions", ""},
			},
			want: true,
		},
		"ManagerReadsNodes": {
			reason: "The manager discovers failure domains from the zones of the outer cluster's Nodes, and follows them.",
			access: []access{
				{manager, "list", "", "nodes", ""},
				{manager, "watch", "", "nodes", ""},
			},
			want: true,
		},
		"ManagerIsNotAdmin": {
			reason: "The manager only reads Nodes, and needs nothing on CRDs but reading them, nor on RBAC; it reads no Namespace and no template (Cluster API's managers do), and records events with the core API only.",
			access: []access{
				{manager, "get", "", "namespaces", ""},
				{manager, "get", "infrastructure.cluster.x-k8s.io", "kubernetesmachinetemplates", ""},
				{manager, "create", "events.k8s.io", "events", ""},
				{manager, "list", "", "secrets", ""},
				{manager, "delete", "", "nodes", ""},
				{manager, "patch", "", "nodes", ""},
				{manager, "create", "apiextensions.k8s.io", "customresourcedefinitions", ""},
				{manager, "create", "rbac.authorization.k8s.io", "clusterrolebindings", ""},
			},
			want: false,
		},
		"ClusterAPIManagesInfrastructure": {
			reason: "Cluster API's and KCP's managers create, patch and delete the infrastructure objects and templates.",
			access: []access{
				{"capi-manager", "create", "infrastructure.cluster.x-k8s.io", "kubernetesclusters", ""},
				{"capi-manager", "patch", "infrastructure.cluster.x-k8s.io", "kubernetesmachines", ""},
				{"capi-manager", "delete", "infrastructure.cluster.x-k8s.io", "kubernetesmachines", ""},
				{"capi-manager", "get", "infrastructure.cluster.x-k8s.io", "kubernetesclustertemplates", ""},
				{"capi-manager", "create", "infrastructure.cluster.x-k8s.io", "kubernetesmachinetemplates", ""},
				{"capi-manager", "watch", "infrastructure.cluster.x-k8s.io", "kubernetesmachines", ""},
			},
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, a := range tc.access {
				sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User: a.user,
					ResourceAttributes: &authorizationv1.ResourceAttributes{
						Namespace: "default", Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
					},
				}}
				if a.user == manager {
					sar.Spec.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + providerNamespace}
				}
				if err := kube.Create(ctx, sar); err != nil {
					t.Fatal(err)
				}
				if sar.Status.Allowed != tc.want {
					t.Errorf("%s\n%s %s %s/%s (group %q): allowed %t, want %t", tc.reason, a.user, a.verb, a.resource, a.subresource, a.group, sar.Status.Allowed, tc.want)
				}
			}
		})
	}
}
