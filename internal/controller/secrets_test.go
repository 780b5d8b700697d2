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
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

// unrelatedObjects is how many Secrets, and as many ConfigMaps, the management cluster holds that the provider
// has nothing to do with.
const unrelatedObjects = 2500

// TestUnrelatedSecretsAndConfigMapsAreNotCached fills the management cluster with 5,000 Secrets and ConfigMaps
// that are none of the provider's business, then bootstraps a control-plane NodePod, which reads its bootstrap
// data Secret and publishes its connection Secret. The provider's memory must not grow with the cluster's
// Secrets and ConfigMaps: it reads the Secrets it needs by name from the API server and never lists or
// watches Secrets or ConfigMaps, which a cache informing on them would (controller-runtime's default, from a
// client's first read of the kind on). Counting those requests tells this for certain, where measuring the
// heap of a process that runs every controller test would tell it only roughly; test/bench's
// TestHarness/MemoryFlatWithUnrelatedObjects measures the RSS of the provider as a process of its own.
func TestUnrelatedSecretsAndConfigMapsAreNotCached(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	start := time.Now()
	createUnrelated(ctx, t, ns)
	t.Logf("created %d Secrets and %d ConfigMaps in %s", unrelatedObjects, unrelatedObjects, time.Since(start).Round(time.Millisecond))

	name := fakeExecPrefix + "secrets"
	boot := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte("#cloud-config\nruncmd:\n- 'kubeadm init'\n")}}
	if err := kube.Create(ctx, boot); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: boot.Name}
		np.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "conn"}
	})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node Pod", func() error {
		pod, err := getPod(ns, name)
		if err == nil {
			markRunningReady(t, pod)
		}
		return err
	})
	waitFor(t, "Bootstrapped=True and the connection Secret", func() error {
		np := getNodePod(t, ns, name)
		if c := condition(np.Status.Conditions, v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		conn := &corev1.Secret{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "conn"}, conn); err != nil {
			return err
		}
		if len(conn.Data["endpoint"]) == 0 {
			return fmt.Errorf("the connection Secret has no endpoint: %v", conn.Data)
		}
		return nil
	})

	// Every request this test binary's provider sent so far, whatever test made it send them.
	for _, kind := range []string{"secrets", "configmaps"} {
		for _, p := range []string{path.Join("/api/v1", kind), path.Join("/api/v1/namespaces", ns, kind)} {
			for _, r := range requests.To(p) {
				if r.Path == p && r.Method == http.MethodGet {
					t.Errorf("the provider listed or watched %s, which holds them all in its memory: %s", kind, r)
				}
			}
		}
	}
	var bootReads []testprovider.Request
	secrets := path.Join("/api/v1/namespaces", ns, "secrets")
	for _, r := range requests.To(secrets) {
		if name := strings.TrimPrefix(r.Path, secrets+"/"); r.Path != secrets && name != boot.Name && name != "conn" {
			t.Errorf("the provider sent a request for a Secret it has no use for: %s", r)
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/"+boot.Name) {
			bootReads = append(bootReads, r)
		}
	}
	if len(bootReads) == 0 {
		t.Error("the provider bootstrapped the node without reading its bootstrap data Secret from the API server")
	}
}

// createUnrelated creates unrelatedObjects Secrets and as many ConfigMaps in ns, some at a time, and deletes
// them when the test ends: the API server the other tests share stays as small as they expect.
func createUnrelated(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	data := strings.Repeat("x", 512)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range unrelatedObjects {
		g.Go(func() error {
			meta := metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("unrelated-%d", i)}
			if err := kube.Create(gctx, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"data": data}}); err != nil {
				return err
			}
			return kube.Create(gctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"data": data}})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, obj := range []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}} {
			if err := kube.DeleteAllOf(context.Background(), obj, client.InNamespace(ns)); err != nil {
				t.Error(err)
			}
		}
	})
}
