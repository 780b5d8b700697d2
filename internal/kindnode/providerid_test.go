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

package kindnode

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

func TestProviderID(t *testing.T) {
	if diff := cmp.Diff("kubernetes://outer/cp-0", ProviderID("outer", "cp-0")); diff != "" {
		t.Errorf("\nA provider ID names the Pod's namespace and name.\nProviderID(...): -want, +got:\n%s", diff)
	}
}

func TestParseProviderID(t *testing.T) {
	type want struct {
		namespace, pod string
		err            error
	}
	cases := map[string]struct {
		reason string
		id     string
		want   want
	}{
		"RoundTrip": {
			reason: "A provider ID made by ProviderID should parse back into its namespace and Pod.",
			id:     ProviderID("outer", "cp-0"),
			want:   want{namespace: "outer", pod: "cp-0"},
		},
		"OtherScheme": {
			reason: "Provider IDs of other providers are not ours to parse.",
			id:     "kind://docker/inner/inner-control-plane",
			want:   want{err: errors.Errorf(errFmtProviderIDScheme, "kind://docker/inner/inner-control-plane", "kubernetes://")},
		},
		"Empty": {
			reason: "An empty provider ID names nothing.",
			want:   want{err: errors.Errorf(errFmtProviderIDScheme, "", "kubernetes://")},
		},
		"NoPod": {
			reason: "A provider ID without a Pod name names nothing.",
			id:     "kubernetes://outer",
			want:   want{err: errors.Errorf(errFmtProviderIDParts, "kubernetes://outer", "kubernetes://")},
		},
		"EmptyPod": {
			reason: "A provider ID with an empty Pod name names nothing.",
			id:     "kubernetes://outer/",
			want:   want{err: errors.Errorf(errFmtProviderIDParts, "kubernetes://outer/", "kubernetes://")},
		},
		"EmptyNamespace": {
			reason: "A provider ID with an empty namespace names nothing.",
			id:     "kubernetes:///cp-0",
			want:   want{err: errors.Errorf(errFmtProviderIDParts, "kubernetes:///cp-0", "kubernetes://")},
		},
		"TooManyParts": {
			reason: "Pod names have no slashes.",
			id:     "kubernetes://outer/cp-0/extra",
			want:   want{err: errors.Errorf(errFmtProviderIDParts, "kubernetes://outer/cp-0/extra", "kubernetes://")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ns, pod, err := ParseProviderID(tc.id)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nParseProviderID(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(want{namespace: tc.want.namespace, pod: tc.want.pod}, want{namespace: ns, pod: pod}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nParseProviderID(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
