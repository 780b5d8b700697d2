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

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestNodeImage(t *testing.T) {
	type args struct {
		p          v1alpha1.NodePodParameters
		repository string
	}
	type want struct {
		image string
		err   error
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"ImageWins": {
			reason: "An explicit image should be used as is, whatever the version says.",
			args: args{
				p:          v1alpha1.NodePodParameters{Image: "registry.example/kind/node@sha256:abc", KubernetesVersion: "v1.37.2"},
				repository: "mirror.example/kindest/node",
			},
			want: want{image: "registry.example/kind/node@sha256:abc"},
		},
		"DefaultRepository": {
			reason: "A version without a repository should select kind's published image.",
			args:   args{p: v1alpha1.NodePodParameters{KubernetesVersion: "v1.37.2"}},
			want:   want{image: "kindest/node:v1.37.2"},
		},
		"CustomRepository": {
			reason: "A version with a repository should select the image from that repository.",
			args:   args{p: v1alpha1.NodePodParameters{KubernetesVersion: "v1.36.0"}, repository: "mirror.example/kindest/node"},
			want:   want{image: "mirror.example/kindest/node:v1.36.0"},
		},
		"Neither": {
			reason: "Without image or version there is no image to run.",
			args:   args{p: v1alpha1.NodePodParameters{}},
			want:   want{err: errors.New(errNoImage)},
		},
		"VersionWithoutV": {
			reason: "kind tags its images vMAJOR.MINOR.PATCH; 1.37.2 names no image.",
			args:   args{p: v1alpha1.NodePodParameters{KubernetesVersion: "1.37.2"}},
			want:   want{err: errors.Errorf(errFmtBadVersion, "1.37.2")},
		},
		"VersionWithoutPatch": {
			reason: "A minor version alone names no image.",
			args:   args{p: v1alpha1.NodePodParameters{KubernetesVersion: "v1.37"}},
			want:   want{err: errors.Errorf(errFmtBadVersion, "v1.37")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			image, err := NodeImage(tc.args.p, tc.args.repository)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nNodeImage(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.image, image); diff != "" {
				t.Errorf("\n%s\nNodeImage(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
