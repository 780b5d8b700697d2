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
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// testNow is the clock of every test: certificates issued by it are valid for the tests' checks.
var testNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// testPKI is generated once for the test binary: RSA or not, generating keys is the slow part.
var testPKI = sync.OnceValue(func() *PKI {
	p, err := RandomGenerator{}.NewPKI(testNow)
	if err != nil {
		panic(err)
	}
	return p
})

// fixedGenerator returns the same material every time, so that a test can predict the function's output
// before the material is observed.
type fixedGenerator struct{ p *PKI }

func (g fixedGenerator) NewPKI(time.Time) (*PKI, error) { return g.p, nil }

func (g fixedGenerator) NewAdmin(ca KeyPair, now time.Time) (KeyPair, error) {
	return RandomGenerator{}.NewAdmin(ca, now)
}

// object parses a YAML object into a protobuf Struct.
func object(t *testing.T, y string) *structpb.Struct {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("bad YAML fixture: %v\n%s", err, y)
	}
	s := &structpb.Struct{}
	if err := s.UnmarshalJSON(j); err != nil {
		t.Fatalf("bad YAML fixture: %v\n%s", err, y)
	}
	return s
}

// typed converts a typed object into a protobuf Struct, as Crossplane would send it observed.
func typed(t *testing.T, o runtime.Object) *structpb.Struct {
	t.Helper()
	u, err := composed.From(o)
	if err != nil {
		t.Fatal(err)
	}
	s, err := resource.AsStruct(u)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withStatus adds a status to an observed object.
func withStatus(t *testing.T, s *structpb.Struct, status string) *structpb.Struct {
	t.Helper()
	st := object(t, status)
	s.Fields["status"] = structpb.NewStructValue(st)
	return s
}

func readyStatus() string {
	return "conditions: [{type: Ready, status: 'True', reason: Available}, {type: Synced, status: 'True', reason: ReconcileSuccess}]"
}

const (
	testInputCAPI   = "apiVersion: kindcluster.fn.kindnode.dev/v1alpha1\nkind: Input\nmode: capi"
	testInputDirect = "apiVersion: kindcluster.fn.kindnode.dev/v1alpha1\nkind: Input\nmode: direct"
)

// kindCluster is an observed KindCluster named demo in namespace team-a.
func kindCluster(spec string) string {
	return `apiVersion: platform.kindnode.dev/v1alpha1
kind: KindCluster
metadata:
  name: demo
  namespace: team-a
spec:
` + spec
}

// newRequest is a RunFunctionRequest for xr with the given observed composed resources.
func newRequest(t *testing.T, input, xr string, observed map[string]*structpb.Struct) *fnv1.RunFunctionRequest {
	t.Helper()
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "test"},
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: object(t, xr)}, Resources: map[string]*fnv1.Resource{}},
	}
	if input != "" {
		req.Input = object(t, input)
	}
	for name, o := range observed {
		req.Observed.Resources[name] = &fnv1.Resource{Resource: o}
	}
	return req
}

func itoa(i int) string { return strconv.Itoa(i) }

func sortStrings(s []string) { slices.Sort(s) }

// fromStruct decodes a desired or observed object into a typed one.
func (Observed) fromStruct(s *structpb.Struct, into runtime.Object) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(s.AsMap(), into)
}
