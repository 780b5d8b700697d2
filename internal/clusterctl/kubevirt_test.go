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
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kubevirtComponents are the objects cluster-api-provider-kubevirt (also called CAPK) installs, as its
// config/default names them: namespace capk-system, name prefix capk-. Both providers must fit in one
// management cluster.
var kubevirtComponents = []struct{ kind, namespace, name string }{
	{"Namespace", "", "capk-system"},
	{"CustomResourceDefinition", "", "kubevirtclusters.infrastructure.cluster.x-k8s.io"},
	{"CustomResourceDefinition", "", "kubevirtclustertemplates.infrastructure.cluster.x-k8s.io"},
	{"CustomResourceDefinition", "", "kubevirtmachines.infrastructure.cluster.x-k8s.io"},
	{"CustomResourceDefinition", "", "kubevirtmachinetemplates.infrastructure.cluster.x-k8s.io"},
	{"ClusterRole", "", "capk-manager-role"},
	{"ClusterRoleBinding", "", "capk-manager-rolebinding"},
	{"MutatingWebhookConfiguration", "", "capk-mutating-webhook-configuration"},
	{"ValidatingWebhookConfiguration", "", "capk-validating-webhook-configuration"},
	{"ServiceAccount", "capk-system", "capk-manager"},
	{"Role", "capk-system", "capk-leader-election-role"},
	{"RoleBinding", "capk-system", "capk-leader-election-rolebinding"},
	{"Service", "capk-system", "capk-webhook-service"},
	{"Deployment", "capk-system", "capk-controller-manager"},
	{"Certificate", "capk-system", "capk-serving-cert"},
	{"Issuer", "capk-system", "capk-selfsigned-issuer"},
}

// TestInfrastructureComponentsBesideKubevirt checks that the components can be installed in a management
// cluster that has cluster-api-provider-kubevirt: no object of ours has the name of one of its cluster-scoped
// objects, and none lives in its namespace, where its namespaced names (capk-controller-manager) would clash
// and clusterctl delete --include-namespace of one provider would take the other with it.
func TestInfrastructureComponentsBesideKubevirt(t *testing.T) {
	theirs := map[string]bool{}
	theirNamespaces := map[string]bool{}
	for _, k := range kubevirtComponents {
		o := &unstructured.Unstructured{}
		o.SetKind(k.kind)
		o.SetNamespace(k.namespace)
		o.SetName(k.name)
		theirs[ref(o)] = true
		if k.kind == "Namespace" {
			theirNamespaces[k.name] = true
		}
	}
	for _, o := range components(t) {
		switch {
		case theirs[ref(o)]:
			t.Errorf("%s is also cluster-api-provider-kubevirt's: installing either provider would take it over from the other", ref(o))
		case theirNamespaces[o.GetNamespace()]:
			t.Errorf("%s is in namespace %s, which is cluster-api-provider-kubevirt's", ref(o), o.GetNamespace())
		}
	}
}
