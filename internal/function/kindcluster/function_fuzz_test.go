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

package kindcluster

import (
	"context"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
)

// FuzzRunFunction composes KindClusters whose spec is whatever JSON object the fuzzer makes, in both modes:
// the function either refuses the input with a fatal result or composes resources that each have an
// apiVersion, a kind and a name; it never panics.
func FuzzRunFunction(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"kubernetesVersion": "v1.37.2", "controlPlane": {"replicas": 3}, "workers": {"replicas": 2}}`,
		`{"controlPlane": {"replicas": -1}}`,
		`{"workers": {"replicas": 1000000}, "disableDefaultCNI": true}`,
		`{"controlPlane": {"persistence": {"size": "1Gi", "storageClassName": "x"}}}`,
		`{"providerConfigRef": {"name": ""}, "serviceType": "LoadBalancer"}`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	fn := &Function{Generator: fixedGenerator{p: testPKI()}, Now: func() time.Time { return testNow }}
	f.Fuzz(func(t *testing.T, spec []byte, direct bool) {
		s := &structpb.Struct{}
		if err := s.UnmarshalJSON(spec); err != nil {
			t.Skip("not a JSON object")
		}
		xr := &structpb.Struct{Fields: map[string]*structpb.Value{
			"apiVersion": structpb.NewStringValue("platform.kindnode.dev/v1alpha1"),
			"kind":       structpb.NewStringValue("KindCluster"),
			"metadata":   structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"name": structpb.NewStringValue("demo"), "namespace": structpb.NewStringValue("team-a")}}),
			"spec":       structpb.NewStructValue(s),
		}}
		mode := "capi"
		if direct {
			mode = "direct"
		}
		in := &structpb.Struct{Fields: map[string]*structpb.Value{
			"apiVersion": structpb.NewStringValue("kindcluster.fn.kindnode.dev/v1alpha1"),
			"kind":       structpb.NewStringValue("Input"),
			"mode":       structpb.NewStringValue(mode),
		}}
		req := &fnv1.RunFunctionRequest{
			Meta:     &fnv1.RequestMeta{Tag: "fuzz"},
			Input:    in,
			Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}},
		}
		rsp, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a fatal result: %v", err)
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				return
			}
		}
		for name, r := range rsp.GetDesired().GetResources() {
			o := r.GetResource().AsMap()
			md, _ := o["metadata"].(map[string]any)
			if o["apiVersion"] == nil || o["kind"] == nil || md == nil || (md["name"] == nil && md["generateName"] == nil) {
				t.Errorf("composed resource %q lacks apiVersion, kind or name: %v", name, o)
			}
		}
	})
}
