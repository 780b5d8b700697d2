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
	"strings"
	"testing"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

// maxMachineWrites bounds the writes the provider sends to one KubernetesMachine from its creation to its
// deletion: the finalizer; the conditions while it waits for the Cluster's infrastructure, for the bootstrap
// data, for the node Pod and for the bootstrap (with the addresses); the provider ID; Ready with
// provisioned; the deletion's conditions; the finalizer's removal. That is nine; two spare take a NodePod
// state more or less that a reconcile may see. A reconcile that writes what it did not change, or that reads
// the object as it was before its own last write, costs more (Cluster API's patch helper took fourteen).
const maxMachineWrites = 11

// TestKubernetesMachineWritesOnlyWhatChanged counts, rather than times, what one KubernetesMachine costs the
// API server: the writes of the provider to it over a whole life, with Cluster API's controllers running.
func TestKubernetesMachineWritesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "rq")
	name := fakeExecPrefix + "rq-0"
	newCAPIMachine(t, ns, "rq", name)
	waitFor(t, "the node Pod", func() error {
		pod, err := getPod(ns, name)
		if err == nil {
			markRunningReady(t, pod)
		}
		return err
	})
	key := types.NamespacedName{Namespace: ns, Name: name}
	waitFor(t, "the KubernetesMachine provisioned", func() error {
		km := &infrav1.KubernetesMachine{}
		if err := kube.Get(ctx, key, km); err != nil {
			return err
		}
		if !ptr.Deref(km.Status.Initialization.Provisioned, false) {
			return fmt.Errorf("not provisioned: %v", km.Status.Conditions)
		}
		return nil
	})
	if err := kube.Delete(ctx, &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the KubernetesMachine gone", func() error {
		if err := kube.Get(ctx, key, &infrav1.KubernetesMachine{}); !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there: %v", err)
		}
		return nil
	})

	var writes []testprovider.Request
	for _, r := range requests.To(path.Join("/apis", infrav1.GroupVersion.String(), "namespaces", ns, "kubernetesmachines", name)) {
		if r.Method != http.MethodGet {
			writes = append(writes, r)
		}
	}
	t.Logf("%d writes to the KubernetesMachine:\n%s", len(writes), lines(writes))
	if len(writes) > maxMachineWrites {
		t.Errorf("the provider sent %d writes to one KubernetesMachine, more than %d:\n%s", len(writes), maxMachineWrites, lines(writes))
	}
	for _, w := range writes {
		if w.Code == http.StatusConflict {
			t.Errorf("a write to the KubernetesMachine was based on a stale read:\n%s", lines(writes))
			break
		}
	}
}

func lines(rs []testprovider.Request) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}
