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

package render

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type xrd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Scope                 string `json:"scope"`
		DefaultCompositionRef struct {
			Name string `json:"name"`
		} `json:"defaultCompositionRef"`
		Versions []struct {
			Name   string         `json:"name"`
			Schema map[string]any `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

type composition struct {
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		CompositeTypeRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		} `json:"compositeTypeRef"`
		Pipeline []struct {
			FunctionRef struct {
				Name string `json:"name"`
			} `json:"functionRef"`
			Input map[string]any `json:"input"`
		} `json:"pipeline"`
	} `json:"spec"`
}

// TestConfigurationPackage checks what a render cannot: that the legacy XRD offers exactly the KindCluster
// API, and that every Composition targets its XRD, carries the mode label its input uses, and calls the
// Function by the name Crossplane gives the Configuration's dependency.
func TestConfigurationPackage(t *testing.T) {
	var namespacedXRD, legacyXRD xrd
	readYAML(t, namespaced+"definition.yaml", &namespacedXRD)
	readYAML(t, legacy+"definition.yaml", &legacyXRD)
	if diff := cmp.Diff(namespacedXRD.Spec.Versions, legacyXRD.Spec.Versions); diff != "" {
		t.Errorf("the XKindCluster schema differs from KindCluster's (-KindCluster +XKindCluster):\n%s", diff)
	}
	if namespacedXRD.Spec.Scope != "Namespaced" || legacyXRD.Spec.Scope != "LegacyCluster" {
		t.Errorf("scopes %s and %s, want Namespaced and LegacyCluster", namespacedXRD.Spec.Scope, legacyXRD.Spec.Scope)
	}

	var cfg struct {
		Spec struct {
			DependsOn []struct {
				Kind    string `json:"kind"`
				Package string `json:"package"`
			} `json:"dependsOn"`
		} `json:"spec"`
	}
	readYAML(t, "package/configuration/crossplane.yaml", &cfg)
	var fnName string
	for _, d := range cfg.Spec.DependsOn {
		if d.Kind == "Function" {
			// Crossplane names a dependency after its package's repository path, without the registry.
			dir, base := filepath.Split(d.Package)
			fnName = filepath.Base(dir) + "-" + base
		}
	}

	for _, c := range []struct {
		path, mode string
		x          xrd
	}{
		{namespaced + "composition-capi.yaml", "capi", namespacedXRD},
		{namespaced + "composition-direct.yaml", "direct", namespacedXRD},
		{legacy + "composition-capi.yaml", "capi", legacyXRD},
		{legacy + "composition-direct.yaml", "direct", legacyXRD},
	} {
		var comp composition
		readYAML(t, c.path, &comp)
		got := map[string]any{
			"compositeTypeRef": comp.Spec.CompositeTypeRef.APIVersion + "/" + comp.Spec.CompositeTypeRef.Kind,
			"label":            comp.Metadata.Labels["platform.kindnode.dev/mode"],
			"function":         comp.Spec.Pipeline[0].FunctionRef.Name,
			"input":            comp.Spec.Pipeline[0].Input,
		}
		want := map[string]any{
			"compositeTypeRef": c.x.Spec.Group + "/" + c.x.Spec.Versions[0].Name + "/" + c.x.Spec.Names.Kind,
			"label":            c.mode,
			"function":         fnName,
			"input":            map[string]any{"apiVersion": "kindcluster.fn.kindnode.dev/v1alpha1", "kind": "Input", "mode": c.mode},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.path, diff)
		}
	}
	for dir, x := range map[string]xrd{namespaced: namespacedXRD, legacy: legacyXRD} {
		var comp composition
		readYAML(t, dir+"composition-direct.yaml", &comp)
		if x.Spec.DefaultCompositionRef.Name != comp.Metadata.Name {
			t.Errorf("%s: default composition %q does not exist; want %q", x.Spec.Names.Kind, x.Spec.DefaultCompositionRef.Name, comp.Metadata.Name)
		}
	}
}
