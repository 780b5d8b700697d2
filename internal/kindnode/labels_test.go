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

	"github.com/google/go-cmp/cmp"
)

func TestOwnerFromLabels(t *testing.T) {
	type want struct {
		o  Owner
		ok bool
	}
	cases := map[string]struct {
		reason string
		labels map[string]string
		want   want
	}{
		"RoundTrip": {
			reason: "An owner recorded by OwnerLabels should be read back unchanged.",
			labels: OwnerLabels(Owner{Kind: "NodePod", Name: "cp-0", Namespace: "team-a"}),
			want:   want{o: Owner{Kind: "NodePod", Name: "cp-0", Namespace: "team-a"}, ok: true},
		},
		"AmongOtherLabels": {
			reason: "Labels that are not ours should not get in the way.",
			labels: map[string]string{
				LabelOwnerKind: "NodeService", LabelOwnerName: "lb", LabelOwnerNamespace: "team-a",
				LabelClusterName: "inner", "app": "x",
			},
			want: want{o: Owner{Kind: "NodeService", Name: "lb", Namespace: "team-a"}, ok: true},
		},
		"ClusterScopedOwner": {
			reason: "An owner without a namespace is still an owner.",
			labels: OwnerLabels(Owner{Kind: "NodePod", Name: "cp-0"}),
			want:   want{o: Owner{Kind: "NodePod", Name: "cp-0"}, ok: true},
		},
		"NoKind": {
			reason: "Without a kind the labels name no owner.",
			labels: map[string]string{LabelOwnerName: "cp-0", LabelOwnerNamespace: "team-a"},
			want:   want{},
		},
		"NoName": {
			reason: "Without a name the labels name no owner.",
			labels: map[string]string{LabelOwnerKind: "NodePod", LabelOwnerNamespace: "team-a"},
			want:   want{},
		},
		"NoLabels": {
			reason: "An object without labels has no owner.",
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, ok := OwnerFromLabels(tc.labels)
			if diff := cmp.Diff(tc.want, want{o: o, ok: ok}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nOwnerFromLabels(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
