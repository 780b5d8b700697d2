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
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// wholeKubernetesTypes are the fields whose schema is a Kubernetes type taken whole (resources, affinity,
// tolerations, topology spread constraints): each counts as one field, however deep its schema goes.
var wholeKubernetesTypes = map[string]bool{"resources": true, "affinity": true, "tolerations": true, "topologySpreadConstraints": true}

// volumeSources are the fields of corev1.VolumeSource, which an extra volume inlines: together they count as
// one field, the extra volume's volumeSource.
var volumeSources = func() map[string]bool {
	names := map[string]bool{}
	for f := range reflect.TypeFor[corev1.VolumeSource]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}()

// settableFields returns the path of every field a user sets under the spec of a CRD's schema: a scalar, a
// list of scalars or a map counts once; an object or a list of objects ([*]) is walked into; a whole
// Kubernetes type and an extra volume's inlined source count once each. Status and metadata are not walked.
func settableFields(root apiextensionsv1.JSONSchemaProps) []string {
	var out []string
	var walk func(s apiextensionsv1.JSONSchemaProps, path string)
	walk = func(s apiextensionsv1.JSONSchemaProps, path string) {
		switch {
		case wholeKubernetesTypes[path[strings.LastIndex(path, ".")+1:]]:
			out = append(out, path)
		case s.Type == "array" && s.Items != nil && s.Items.Schema != nil && len(s.Items.Schema.Properties) > 0:
			walk(*s.Items.Schema, path+"[*]")
		case len(s.Properties) > 0:
			source := false
			for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
				if strings.HasSuffix(path, "extraVolumes[*]") && volumeSources[name] {
					source = true
					continue
				}
				walk(s.Properties[name], path+"."+name)
			}
			if source {
				out = append(out, path+".volumeSource")
			}
		default:
			out = append(out, path)
		}
	}
	walk(root.Properties["spec"], "spec")
	return out
}

// servedSchema returns the schema the API server serves for a CRD.
func servedSchema(t *testing.T, name string) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := kube.Get(context.Background(), client.ObjectKey{Name: name}, crd); err != nil {
		t.Fatal(err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return *v.Schema.OpenAPIV3Schema
		}
	}
	t.Fatalf("CRD %s has no storage version", name)
	return apiextensionsv1.JSONSchemaProps{}
}

// installXRD serves the schema of a Crossplane CompositeResourceDefinition (a file under the repository) as a
// CRD, the way Crossplane does for its composite resources, until the test ends; it returns the schema.
func installXRD(t *testing.T, file, kind, plural string) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), file))
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Spec struct {
			Group    string `json:"group"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema apiextensionsv1.JSONSchemaProps `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	v := x.Spec.Versions[0]
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + x.Spec.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: x.Spec.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: v.Name, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &v.Schema.OpenAPIV3Schema},
			}},
		},
	}
	if err := kube.Create(ctx, crd); err != nil {
		t.Fatalf("the schema of %s is not a valid CRD schema: %v", file, err)
	}
	t.Cleanup(func() { _ = kube.Delete(context.Background(), crd) })
	waitFor(t, "the CRD is established", func() error {
		if err := kube.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
			return err
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("CRD %s is not established", crd.Name)
	})
	// A new CRD's kind reaches the client's REST mapper a moment after it is established.
	waitFor(t, "the client maps the new kind", func() error {
		_, err := kube.RESTMapper().RESTMapping(schema.GroupKind{Group: x.Spec.Group, Kind: kind}, v.Name)
		return err
	})
	return v.Schema.OpenAPIV3Schema
}

// setField sets the field at path (dot-separated, [*] for a list's first item) of obj to the YAML value, or
// removes it when value is empty. Objects on the way are created; lists must already have an item.
func setField(obj map[string]any, path, value string) error {
	segs := strings.Split(path, ".")
	m := obj
	for _, seg := range segs[:len(segs)-1] {
		name, isList := strings.CutSuffix(seg, "[*]")
		if isList {
			l, _ := m[name].([]any)
			if len(l) == 0 {
				return fmt.Errorf("%s: the base object has no item in %s", path, name)
			}
			m = l[0].(map[string]any)
			continue
		}
		next, ok := m[name].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[name] = next
		}
		m = next
	}
	last := segs[len(segs)-1]
	if value == "" {
		delete(m, last)
		return nil
	}
	var v any
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m[last] = v
	return nil
}

// concrete is path as the API server names it: the first item of each list.
func concrete(path string) string { return strings.ReplaceAll(path, "[*]", "[0]") }
