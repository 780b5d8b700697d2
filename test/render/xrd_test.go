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
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// crdOf is the part of a CRD Crossplane makes from an XRD that validation depends on: the XRD's schema as
// the only version, with the status subresource, and the spec fields Crossplane adds (crossplaneFields,
// kept as they come) under spec.
func crdOf(t *testing.T, definition, kind, plural string, crossplaneFields ...string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var x xrd
	readYAML(t, definition, &x)
	b, err := json.Marshal(x.Spec.Versions[0].Schema["openAPIV3Schema"])
	if err != nil {
		t.Fatal(err)
	}
	var schema apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	spec := schema.Properties["spec"]
	for _, f := range crossplaneFields {
		spec.Properties[f] = apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr.To(true)}
	}
	schema.Properties["spec"] = spec
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + x.Spec.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: x.Spec.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: x.Spec.Versions[0].Name, Served: true, Storage: true,
				Schema:       &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &schema},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}
}

// install creates CRDs and waits until they are served.
func install(ctx context.Context, t *testing.T, c client.Client, crds ...*apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	for _, crd := range crds {
		if err := c.Create(ctx, crd); err != nil {
			t.Fatalf("the XRD's schema is not a valid CRD schema: %v", err)
		}
		if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(crd), crd); err != nil {
				return false, err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		}); err != nil {
			t.Fatalf("CRD %s not established: %v", crd.Name, err)
		}
	}
}

// TestXRDSchema installs the KindCluster and KindClusterClaim schemas in a real kube-apiserver and checks
// that they accept the examples as written, default a minimal KindCluster and refuse bad ones with messages
// that name the field.
func TestXRDSchema(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	install(ctx, t, c,
		crdOf(t, namespaced+"definition.yaml", "KindCluster", "kindclusters", "crossplane"),
		// A claim's spec has Crossplane's composition fields at the top.
		crdOf(t, legacy+"definition.yaml", "KindClusterClaim", "kindclusterclaims", "compositionSelector", "compositionRef", "writeConnectionSecretToRef"))
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}); err != nil {
		t.Fatal(err)
	}

	// Every KindCluster example is accepted as written, with no field the schema does not know.
	examples, err := filepath.Glob(filepath.Join(root, "examples", "kindcluster", "*", "*.yaml"))
	if err != nil || len(examples) < 3 {
		t.Fatalf("found examples %v (%v), want one per mode and the claim", examples, err)
	}
	for _, f := range examples {
		t.Run("examples/"+filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			u := &unstructured.Unstructured{}
			readYAML(t, strings.TrimPrefix(f, root+"/"), &u.Object)
			if err := c.Create(ctx, u, client.DryRunAll, client.FieldValidation("Strict")); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		})
	}

	cases := map[string]struct {
		spec string
		want string
	}{
		"Minimal":            {spec: "kubernetesVersion: v1.37.2"},
		"Version":            {spec: "kubernetesVersion: '1.37'", want: `spec.kubernetesVersion: Invalid value: "1.37": spec.kubernetesVersion in body should match '^v[0-9]+\.[0-9]+\.[0-9]+$'`},
		"EvenControlPlane":   {spec: "kubernetesVersion: v1.37.2\ncontrolPlane: {replicas: 2}", want: "spec.controlPlane.replicas: Invalid value: 2: controlPlane.replicas must be odd (1, 3, 5 or 7) so that etcd keeps a majority"},
		"TooManyWorkers":     {spec: "kubernetesVersion: v1.37.2\nworkers: {replicas: 101}", want: "spec.workers.replicas: Invalid value: 101: spec.workers.replicas in body should be less than or equal to 100"},
		"NotACIDR":           {spec: "kubernetesVersion: v1.37.2\npodSubnet: 10.244.0.0", want: "spec.podSubnet: Invalid value: \"10.244.0.0\": podSubnet must be a CIDR, e.g. 10.244.0.0/16"},
		"OverlappingSubnets": {spec: "kubernetesVersion: v1.37.2\npodSubnet: 10.96.0.0/12", want: "spec: Invalid value: podSubnet and serviceSubnet must not overlap"},
		"ServiceType":        {spec: "kubernetesVersion: v1.37.2\nserviceType: ExternalName", want: `spec.serviceType: Unsupported value: "ExternalName": supported values: "ClusterIP", "NodePort", "LoadBalancer"`},
		"Quantity":           {spec: "kubernetesVersion: v1.37.2\nworkers: {resources: {requests: {cpu: lots}}}", want: `spec.workers.resources.requests.cpu: Invalid value: "lots": spec.workers.resources.requests.cpu in body should match`},
		"EtcdSize":           {spec: "kubernetesVersion: v1.37.2\ncontrolPlane: {persistence: {etcd: {storageClassName: fast}}}", want: "spec.controlPlane.persistence.etcd.size: Required value"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var spec map[string]any
			if err := yaml.Unmarshal([]byte(tc.spec), &spec); err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "platform.kindnode.dev/v1alpha1", "kind": "KindCluster",
				"metadata": map[string]any{"name": strings.ToLower(name), "namespace": "default"},
				"spec":     spec,
			}}
			err := c.Create(ctx, u)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				want := map[string]any{
					"kubernetesVersion": "v1.37.2",
					"controlPlane":      map[string]any{"replicas": int64(1)},
					"workers":           map[string]any{"replicas": int64(1)},
					"podSubnet":         "10.244.0.0/16", "serviceSubnet": "10.96.0.0/16", "serviceType": "ClusterIP",
					"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": "default"},
				}
				if diff := cmp.Diff(want, u.Object["spec"]); diff != "" {
					t.Errorf("defaulted spec (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Create: got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
