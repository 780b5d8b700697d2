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
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStripCRDSchemas(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	crd := func(full bool) *apiextensionsv1.CustomResourceDefinition {
		c := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: "nodepods.kindnode.dev"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "kindnode.dev",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "NodePod", Plural: "nodepods"},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
					{Name: "v1alpha1", Served: true, Storage: true},
					{Name: "v1alpha0", Served: false},
				},
			},
			Status: apiextensionsv1.CustomResourceDefinitionStatus{
				Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}},
			},
		}
		if full {
			c.ManagedFields = managed
			for i := range c.Spec.Versions {
				v := &c.Spec.Versions[i]
				v.Schema = &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object"}}
				v.AdditionalPrinterColumns = []apiextensionsv1.CustomResourceColumnDefinition{{Name: "READY", JSONPath: ".status.ready"}}
				v.Subresources = &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}
				v.SelectableFields = []apiextensionsv1.SelectableField{{JSONPath: ".spec.role"}}
			}
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
		}
		return c
	}

	cases := map[string]struct {
		reason string
		in     any
		want   any
	}{
		"CRD": {
			reason: "A CRD keeps its group, kinds, versions served and conditions, and loses its schemas and managed fields.",
			in:     crd(true),
			want:   crd(false),
		},
		"OtherKind": {
			reason: "Any other object loses its managed fields only.",
			in:     &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", ManagedFields: managed}, Data: map[string]string{"k": "v"}},
			want:   &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": "v"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := StripCRDSchemas(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nStripCRDSchemas(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
