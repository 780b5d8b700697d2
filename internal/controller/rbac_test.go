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

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// A permission is one verb on one resource of one API group.
type permission struct{ group, resource, verb string }

func (p permission) String() string {
	g := p.group
	if g == "" {
		g = "core"
	}
	return p.verb + " " + g + "/" + p.resource
}

// markerSources are where controller-gen reads the markers of the manager's role (apis/generate.go).
var markerSources = []string{"internal", filepath.Join("cmd", "provider")}

// clusterAPIOnly are the packages only a Cluster API installation runs: a Crossplane-only cluster has none of
// the kinds they reconcile, and the Crossplane package's role grants nothing for them.
var clusterAPIOnly = []string{filepath.Join("internal", "controller", "kubernetescluster"), filepath.Join("internal", "controller", "kubernetesmachine")}

// rbacMarker finds the +kubebuilder:rbac markers the code carries next to what needs them.
var rbacMarker = regexp.MustCompile(`(?m)^\s*//\s*\+kubebuilder:rbac:(.+)$`)

// markedPermissions are the permissions the +kubebuilder:rbac markers of the provider's code ask for, each
// with the files whose markers ask for it; with skip, those in files under the skip directories are left out.
func markedPermissions(t *testing.T, skip ...string) map[permission][]string {
	t.Helper()
	root := testenv.RepoRoot()
	out := map[permission][]string{}
	for _, dir := range markerSources {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(skip, func(s string) bool { return filepath.Dir(rel) == s }) {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range rbacMarker.FindAllStringSubmatch(string(b), -1) {
				args := map[string][]string{}
				for _, kv := range strings.Split(m[1], ",") {
					k, v, _ := strings.Cut(kv, "=")
					args[k] = strings.Split(strings.Trim(v, `"`), ";")
				}
				for k := range args {
					if k != "groups" && k != "resources" && k != "verbs" {
						t.Errorf("%s: a marker with %s, which this test does not read: %s", rel, k, m[0])
					}
				}
				for _, g := range args["groups"] {
					for _, r := range args["resources"] {
						for _, v := range args["verbs"] {
							p := permission{group: g, resource: r, verb: v}
							out[p] = append(out[p], rel)
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
	if len(out) == 0 {
		t.Fatal("found no +kubebuilder:rbac marker in internal/ or cmd/provider; this test checks nothing")
	}
	return out
}

// granted are the permissions of rules. A wildcard fails the test: each rule names what the code needs.
func granted(t *testing.T, file string, rules []rbacv1.PolicyRule) map[permission]bool {
	t.Helper()
	out := map[permission]bool{}
	for _, r := range rules {
		if slices.Contains(r.APIGroups, rbacv1.APIGroupAll) || slices.Contains(r.Resources, rbacv1.ResourceAll) || slices.Contains(r.Verbs, rbacv1.VerbAll) {
			t.Errorf("%s grants a wildcard: %v", file, r)
		}
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("%s has a rule this test does not read: %v", file, r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[permission{group: g, resource: res, verb: v}] = true
				}
			}
		}
	}
	return out
}

// compare fails the test for each permission the markers ask for and file does not grant, and each one file
// grants and no marker asks for.
func compare(t *testing.T, file, fix string, want map[permission][]string, got map[permission]bool) {
	t.Helper()
	var missing, unused []string
	for p, from := range want {
		if !got[p] {
			missing = append(missing, p.String()+" (asked for in "+strings.Join(slices.Compact(slices.Sorted(slices.Values(from))), ", ")+")")
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			unused = append(unused, p.String())
		}
	}
	slices.Sort(missing)
	slices.Sort(unused)
	if len(missing) > 0 {
		t.Errorf("%s does not grant what the code's +kubebuilder:rbac markers ask for (%s); a marker in a doc comment is one controller-gen does not read, give it a comment group of its own:\n  %s",
			file, fix, strings.Join(missing, "\n  "))
	}
	if len(unused) > 0 {
		t.Errorf("%s grants what no +kubebuilder:rbac marker asks for (%s); add a marker next to the code that needs it, or drop the rule:\n  %s",
			file, fix, strings.Join(unused, "\n  "))
	}
}

// manifests reads the objects of a YAML file of the repository into out, one per kind.
func manifests(t *testing.T, path string, out ...any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), path))
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if regexp.MustCompile(`(?m)^kind:`).MatchString(d) {
			docs = append(docs, d)
		}
	}
	if len(docs) != len(out) {
		t.Fatalf("%s has %d objects, want %d", path, len(docs), len(out))
	}
	for i, d := range docs {
		if err := yaml.UnmarshalStrict([]byte(d), out[i]); err != nil {
			t.Fatalf("%s, object %d: %v", path, i+1, err)
		}
	}
}

// The role clusterctl installs is generated from the markers; this fails when it was not generated again
// after a marker changed, or was edited by hand.
func TestManagerRoleIsWhatTheMarkersAskFor(t *testing.T) {
	role := &rbacv1.ClusterRole{}
	manifests(t, "config/rbac/role.yaml", role)
	compare(t, "config/rbac/role.yaml", "run make generate", markedPermissions(t), granted(t, "config/rbac/role.yaml", role.Rules))
}

// The Crossplane Provider package's role is written by hand, with a comment on each rule, and grants what the
// markers ask for outside the Cluster API controllers, which a Crossplane-only cluster does not run: the
// same manager runs either way, and a rule missing from one or the other would fail only in a real cluster,
// where the provider's own identity is not an administrator's.
func TestProviderPackageRoleIsWhatTheMarkersAskFor(t *testing.T) {
	const file = "cluster/crossplane/provider-rbac.yaml"
	role, binding := &rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{}
	manifests(t, file, role, binding)
	compare(t, file, "edit it", markedPermissions(t, clusterAPIOnly...), granted(t, file, role.Rules))

	wantSubjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "provider-kindnode", Namespace: "crossplane-system"}}
	if binding.RoleRef.Name != role.Name || !slices.Equal(wantSubjects, binding.Subjects) {
		t.Errorf("the binding grants %s to %v, want %s to %v", binding.RoleRef.Name, binding.Subjects, role.Name, wantSubjects)
	}
}
