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
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// providerIDPrefix is the scheme of the provider IDs of node Pods.
const providerIDPrefix = "kubernetes://"

const (
	errFmtProviderIDScheme = "provider ID %q does not start with %s"
	errFmtProviderIDParts  = "provider ID %q is not of the form %s<namespace>/<pod>"
)

// ProviderID identifies the node Pod to Cluster API. It names the Pod, not its UID, so that it stays the same
// when the Pod is recreated.
func ProviderID(namespace, pod string) string {
	return providerIDPrefix + namespace + "/" + pod
}

// ParseProviderID returns the namespace and name of the node Pod a ProviderID identifies.
func ParseProviderID(id string) (namespace, pod string, err error) {
	rest, ok := strings.CutPrefix(id, providerIDPrefix)
	if !ok {
		return "", "", errors.Errorf(errFmtProviderIDScheme, id, providerIDPrefix)
	}
	namespace, pod, ok = strings.Cut(rest, "/")
	if !ok || namespace == "" || pod == "" || strings.Contains(pod, "/") {
		return "", "", errors.Errorf(errFmtProviderIDParts, id, providerIDPrefix)
	}
	return namespace, pod, nil
}
