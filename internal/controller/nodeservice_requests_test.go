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
	"net/http"
	"path"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

// maxNodeServiceWrites bounds the writes the provider sends to one NodeService from its creation to its
// deletion: the pending create (with the external name and the finalizer), the status while its Service
// has no address and once it has, the deletion's status, the finalizer's removal. That is five; one spare
// takes a status the Service's address arriving in between may cost. crossplane-runtime's defaults write
// the external name, the finalizer and the create's outcome each on their own.
const maxNodeServiceWrites = 6

// TestNodeServiceWritesOnlyWhatChanged counts what one NodeService costs the API server: the provider's writes
// to it over a whole life.
func TestNodeServiceWritesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	const name = "rq-lb"
	if err := kube.Create(ctx, newNodeService(ns, name)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Ready=True", func() error {
		if c := condition(getNodeService(t, ns, name).Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
		}
		return nil
	})
	if err := kube.Delete(ctx, getNodeService(t, ns, name)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the NodeService gone", func() error {
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &v1alpha1.NodeService{}); !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there: %v", err)
		}
		return nil
	})

	var writes []testprovider.Request
	for _, r := range requests.To(path.Join("/apis", v1alpha1.SchemeGroupVersion.String(), "namespaces", ns, "nodeservices", name)) {
		if r.Method != http.MethodGet {
			writes = append(writes, r)
		}
	}
	t.Logf("%d writes to the NodeService:\n%s", len(writes), lines(writes))
	if len(writes) > maxNodeServiceWrites {
		t.Errorf("the provider sent %d writes to one NodeService, more than %d:\n%s", len(writes), maxNodeServiceWrites, lines(writes))
	}
	for _, w := range writes {
		if w.Code == http.StatusConflict {
			t.Errorf("a write to the NodeService was based on a stale read:\n%s", lines(writes))
			break
		}
	}
}
