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
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// components returns infrastructure-components.yaml as kustomize built it, before clusterctl processes it.
func components(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(release, "infrastructure-components.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(data)
	if err != nil {
		t.Fatalf("infrastructure-components.yaml: %v", err)
	}
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// crdNames returns the names of the CRDs in the YAML files of a repository directory.
func crdNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s: %v", dir, err)
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range objs {
			names = append(names, o.GetName())
		}
	}
	return names
}

func TestInfrastructureComponents(t *testing.T) {
	objs := components(t)
	cases := map[string]struct {
		reason string
		check  func(t *testing.T) string
	}{
		"EveryObjectIsLabelled": {
			reason: "clusterctl finds a provider's objects by the cluster.x-k8s.io/provider label.",
			check: func(t *testing.T) string {
				t.Helper()
				var unlabelled []string
				for _, o := range objs {
					if o.GetLabels()["cluster.x-k8s.io/provider"] != "infrastructure-kubernetes" {
						unlabelled = append(unlabelled, ref(o))
					}
				}
				return cmp.Diff([]string(nil), unlabelled)
			},
		},
		"OneNamespace": {
			reason: "clusterctl moves a provider to its target namespace and so wants all of it in one namespace.",
			check: func(t *testing.T) string {
				t.Helper()
				namespaces := map[string]bool{}
				for _, o := range objs {
					if o.GetNamespace() != "" {
						namespaces[o.GetNamespace()] = true
					}
				}
				ns := find(objs, "Namespace", providerNamespace)
				return cmp.Diff(map[string]bool{providerNamespace: true}, namespaces) + cmp.Diff(true, ns != nil)
			},
		},
		"AllCRDs": {
			reason: "The components should install the infrastructure CRDs and the kindnode.dev CRDs the controllers create objects of.",
			check: func(t *testing.T) string {
				t.Helper()
				want := append(crdNames(t, "config/crd/bases"), crdNames(t, "package/provider/crds")...)
				var got []string
				for _, o := range objs {
					if o.GetKind() == "CustomResourceDefinition" {
						got = append(got, o.GetName())
					}
				}
				slices.Sort(want)
				slices.Sort(got)
				return cmp.Diff(want, got)
			},
		},
		"ContractLabel": {
			reason: "Cluster API reads the contract an infrastructure CRD implements from its cluster.x-k8s.io/v1beta2 label.",
			check: func(t *testing.T) string {
				t.Helper()
				want, got := map[string]string{}, map[string]string{}
				for _, o := range objs {
					if o.GetKind() == "CustomResourceDefinition" && strings.HasSuffix(o.GetName(), ".infrastructure.cluster.x-k8s.io") {
						want[o.GetName()] = "v1alpha1"
						got[o.GetName()] = o.GetLabels()["cluster.x-k8s.io/v1beta2"]
					}
				}
				return cmp.Diff(4, len(want)) + cmp.Diff(want, got)
			},
		},
		"Manager": {
			reason: "The manager runs as container manager of capkn-controller-manager, with the flags Cluster API providers take.",
			check: func(t *testing.T) string {
				t.Helper()
				d := find(objs, "Deployment", "capkn-controller-manager")
				if d == nil {
					return "no Deployment capkn-controller-manager"
				}
				containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
				sa, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "serviceAccountName")
				if len(containers) != 1 {
					return fmt.Sprintf("want one container, got %d", len(containers))
				}
				c, _ := containers[0].(map[string]any)
				liveness, _, _ := unstructured.NestedMap(c, "livenessProbe", "httpGet")
				readiness, _, _ := unstructured.NestedMap(c, "readinessProbe", "httpGet")
				args, _, _ := unstructured.NestedStringSlice(c, "args")
				want := map[string]any{
					"name":           "manager",
					"image":          "localhost/kindnode/capkn-manager:dev",
					"serviceAccount": "capkn-manager",
					"liveness":       map[string]any{"path": "/healthz", "port": "healthz"},
					"readiness":      map[string]any{"path": "/readyz", "port": "healthz"},
					"leader":         true,
					"namespace":      true,
					"watch-filter":   true,
					"probes on 8081": true,
				}
				got := map[string]any{
					"name":           c["name"],
					"image":          c["image"],
					"serviceAccount": sa,
					"liveness":       liveness,
					"readiness":      readiness,
					"leader":         slices.Contains(args, "--leader-election"),
					"namespace":      slices.Contains(args, "--namespace=$(WATCH_NAMESPACE)"),
					"watch-filter":   slices.Contains(args, "--watch-filter=$(WATCH_FILTER)"),
					"probes on 8081": slices.Contains(args, "--health-probe-bind-address=:8081") && port(c, "healthz") == 8081,
				}
				return cmp.Diff(want, got)
			},
		},
		"AggregatedRole": {
			reason: "Cluster API's and KCP's managers get access to the infrastructure kinds through ClusterRole aggregation.",
			check: func(t *testing.T) string {
				t.Helper()
				r := find(objs, "ClusterRole", "capkn-aggregated-manager-role")
				if r == nil {
					return "no ClusterRole capkn-aggregated-manager-role"
				}
				want := map[string]string{
					"cluster.x-k8s.io/aggregate-to-manager":                      "true",
					"kubeadm.controlplane.cluster.x-k8s.io/aggregate-to-manager": "true",
				}
				got := map[string]string{}
				for k := range want {
					got[k] = r.GetLabels()[k]
				}
				return cmp.Diff(want, got)
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := tc.check(t); diff != "" {
				t.Errorf("%s\n%s", tc.reason, diff)
			}
		})
	}
}

// port returns the number of a container's named port.
func port(container map[string]any, name string) int64 {
	ports, _, _ := unstructured.NestedSlice(container, "ports")
	for _, p := range ports {
		m, _ := p.(map[string]any)
		if m["name"] == name {
			n, _ := m["containerPort"].(int64)
			return n
		}
	}
	return 0
}
