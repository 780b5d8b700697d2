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

package controller

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// documents reads the YAML documents of a file of the repository.
func documents(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), path))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n---\n")
}

// The Crossplane Provider package's RBAC is what clusterctl installs, without Cluster API's kinds: the same
// manager runs either way, and a rule added to one and not the other would fail only in a real cluster.
func TestProviderPackageRBACMatchesClusterctl(t *testing.T) {
	clusterctl := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal([]byte(documents(t, "config/rbac/role.yaml")[0]), clusterctl); err != nil {
		t.Fatal(err)
	}
	var want []rbacv1.PolicyRule
	for _, r := range clusterctl.Rules {
		if !slices.ContainsFunc(r.APIGroups, func(g string) bool { return strings.HasSuffix(g, "cluster.x-k8s.io") }) {
			want = append(want, r)
		}
	}

	docs := documents(t, "cluster/crossplane/provider-rbac.yaml")
	if len(docs) != 2 {
		t.Fatalf("cluster/crossplane/provider-rbac.yaml has %d documents, want a ClusterRole and its binding", len(docs))
	}
	role, binding := &rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{}
	if err := yaml.Unmarshal([]byte(docs[0]), role); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(docs[1]), binding); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, role.Rules); diff != "" {
		t.Errorf("provider package ClusterRole rules: -clusterctl's without Cluster API's, +got:\n%s", diff)
	}
	wantSubjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "provider-kindnode", Namespace: "crossplane-system"}}
	if binding.RoleRef.Name != role.Name || !cmp.Equal(wantSubjects, binding.Subjects) {
		t.Errorf("the binding grants %s to %v, want %s to %v", binding.RoleRef.Name, binding.Subjects, role.Name, wantSubjects)
	}
}

// rbacMarker finds the +kubebuilder:rbac markers the code carries next to what needs them.
var rbacMarker = regexp.MustCompile(`(?m)^\s*//\s*\+kubebuilder:rbac:(.+)$`)

// The role clusterctl installs is written by hand, with the reason for each rule, but what the code asks for
// in its +kubebuilder:rbac markers must be in it: a marker whose rule is missing would fail only in a real
// cluster, where the provider's own identity is not an administrator's.
func TestRBACMarkersAreGranted(t *testing.T) {
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal([]byte(documents(t, "config/rbac/role.yaml")[0]), role); err != nil {
		t.Fatal(err)
	}
	allows := func(group, resource, verb string) bool {
		return slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
			return (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
				(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
				(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, "*"))
		})
	}
	markers := 0
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(testenv.RepoRoot(), dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range rbacMarker.FindAllStringSubmatch(string(b), -1) {
				markers++
				args := map[string][]string{}
				for _, kv := range strings.Split(m[1], ",") {
					k, v, _ := strings.Cut(kv, "=")
					args[k] = strings.Split(strings.Trim(v, `"`), ";")
				}
				for _, g := range args["groups"] {
					for _, r := range args["resources"] {
						for _, v := range args["verbs"] {
							if !allows(g, r, v) {
								t.Errorf("%s asks for %s on %s (group %q), which config/rbac/role.yaml does not grant", path, v, r, g)
							}
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if markers == 0 {
		t.Error("found no +kubebuilder:rbac marker in internal/ or cmd/; this test checks nothing")
	}
}
