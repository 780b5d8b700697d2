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
	"regexp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// DefaultImageRepository holds kind's published node images, tagged by Kubernetes version.
const DefaultImageRepository = "kindest/node"

const (
	errNoImage       = "one of kubernetesVersion or image is required"
	errFmtBadVersion = "kubernetesVersion %q is not of the form vMAJOR.MINOR.PATCH"
)

// versionPattern matches the tags kind publishes node images under.
var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

// NodeImage returns the kind node image of p: p.Image when set, else the repository's image tagged with
// p.KubernetesVersion. An empty repository means DefaultImageRepository.
func NodeImage(p v1alpha1.NodePodParameters, repository string) (string, error) {
	if p.Image != "" {
		return p.Image, nil
	}
	if p.KubernetesVersion == "" {
		return "", errors.New(errNoImage)
	}
	if !versionPattern.MatchString(p.KubernetesVersion) {
		return "", errors.Errorf(errFmtBadVersion, p.KubernetesVersion)
	}
	if repository == "" {
		repository = DefaultImageRepository
	}
	return repository + ":" + p.KubernetesVersion, nil
}
