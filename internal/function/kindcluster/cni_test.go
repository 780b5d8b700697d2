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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestDisableDefaultCNI checks that a KindCluster's disableDefaultCNI reaches every node it composes, in both
// modes: the machine templates of the capi mode and the NodePods of the direct mode.
func TestDisableDefaultCNI(t *testing.T) {
	cases := map[string]struct {
		reason string
		input  string
		spec   string
		// kind is the kind of the composed objects that describe nodes; path is the field in them.
		kind, path string
		want       any
	}{
		"CAPIDisabled": {
			reason: "The capi mode's machine templates should leave the default CNI out.",
			input:  testInputCAPI, spec: "  kubernetesVersion: v1.37.2\n  disableDefaultCNI: true\n",
			kind: "KubernetesMachineTemplate", path: "spec.template.spec.disableDefaultCNI", want: true,
		},
		"CAPIDefault": {
			reason: "Unset, the capi mode's machine templates say nothing, so nodes get the default CNI.",
			input:  testInputCAPI, spec: "  kubernetesVersion: v1.37.2\n",
			kind: "KubernetesMachineTemplate", path: "spec.template.spec.disableDefaultCNI", want: nil,
		},
		"DirectDisabled": {
			reason: "The direct mode's NodePods should leave the default CNI out.",
			input:  testInputDirect, spec: "  kubernetesVersion: v1.37.2\n  disableDefaultCNI: true\n",
			kind: "NodePod", path: "spec.forProvider.disableDefaultCNI", want: true,
		},
		"DirectDefault": {
			reason: "Unset, the direct mode's NodePods say nothing, so nodes get the default CNI.",
			input:  testInputDirect, spec: "  kubernetesVersion: v1.37.2\n",
			kind: "NodePod", path: "spec.forProvider.disableDefaultCNI", want: nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// The direct mode composes its first node once the certificates and the endpoint are observed.
			observed := map[string]*structpb.Struct{"pki": observedPKI(t, testPKI()), "endpoint": observedNodeService(t)}
			got := desiredObjects(t, run(t, &Function{}, newRequest(t, tc.input, kindCluster(tc.spec), observed)))
			nodes := 0
			for key, o := range got {
				if !strings.HasPrefix(key, tc.kind+"/") {
					continue
				}
				nodes++
				if diff := cmp.Diff(tc.want, getPath(o, tc.path)); diff != "" {
					t.Errorf("%s\n%s %s: -want, +got:\n%s", tc.reason, key, tc.path, diff)
				}
			}
			if nodes == 0 {
				t.Fatalf("%s\nno %s composed among %v", tc.reason, tc.kind, keys(got))
			}
		})
	}
}
