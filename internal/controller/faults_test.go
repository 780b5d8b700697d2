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

package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The fault matrix (make faults, hack/faults.sh) runs the tests named TestFault*: each makes one fault happen,
// checks the outcome the matrix states for it, and that nothing was lost or left behind. Each says what it
// saw in one line, through observed, which the matrix prints.

// observed says, for the fault matrix's table, what a fault test saw.
func observed(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("observed: "+format, args...)
}

// nothingLeft waits until the namespace holds nothing the provider or Cluster API made: no Pod, Service,
// claim, PodDisruptionBudget or Secret left of a node, no managed resource or Cluster API object held by a
// finalizer. What a test made itself and keeps (its ProviderConfigs, the Secrets it names) may stay, and so
// may events.
func nothingLeft(ctx context.Context, t *testing.T, ns string, keepSecrets ...string) {
	t.Helper()
	waitFor(t, "nothing left in namespace "+ns, func() error {
		var left []string
		objects := namespaceObjects(ctx, t, ns)
		uids := map[types.UID]bool{}
		for _, o := range objects {
			uids[o.GetUID()] = true
		}
		for _, o := range objects {
			switch kind := o.GetKind(); {
			case kind == "Event", kind == "ProviderConfig":
			case kind == "Secret" && slices.Contains(keepSecrets, o.GetName()):
			// crossplane-runtime leaves a ProviderConfigUsage to the garbage collector once its managed
			// resource is gone; no garbage collector runs next to the test API server.
			case kind == "ProviderConfigUsage" && ownersGone(o.GetOwnerReferences(), uids):
			default:
				left = append(left, fmt.Sprintf("%s %s (finalizers %v)", kind, o.GetName(), o.GetFinalizers()))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left: %s", strings.Join(left, ", "))
		}
		return nil
	})
}

// ownersGone tells whether refs name owners, none of which is among the uids that exist.
func ownersGone(refs []metav1.OwnerReference, uids map[types.UID]bool) bool {
	for _, r := range refs {
		if uids[r.UID] {
			return false
		}
	}
	return len(refs) > 0
}
