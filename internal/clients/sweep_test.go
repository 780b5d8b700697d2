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

package clients

import (
	"sync"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// TestSweepClosesConnectionsOfChangedCredentials runs two API servers: the management cluster, which is also
// outer cluster A, and outer cluster B. A ProviderConfig's kubeconfig moves from A to B and then goes away;
// each sweep closes the connection nothing leads to any more, whose informers then report nothing, and keeps
// the others.
func TestSweepClosesConnectionsOfChangedCredentials(t *testing.T) {
	a, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	b, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop() })
	ctx := t.Context()
	kubeA, err := client.New(a.Config, client.Options{Scheme: a.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	kubeB, err := client.New(b.Config, client.Options{Scheme: b.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	kcA, err := a.Kubeconfig("outer-a")
	if err != nil {
		t.Fatal(err)
	}
	kcB, err := b.Kubeconfig("outer-b")
	if err != nil {
		t.Fatal(err)
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "outer"}, Data: map[string][]byte{"kubeconfig": kcA}}
	if err := kubeA.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	pc := &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "outer"},
		Spec: v1alpha1.ProviderConfigSpec{Credentials: v1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Name: "outer", Namespace: "default"}, Key: "kubeconfig",
			}},
		}},
	}
	if err := kubeA.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}

	r := NewRegistry(a.Config, a.Scheme, WithSyncTimeout(10*time.Second))
	t.Cleanup(r.Close)
	seen := &podEvents{}
	r.AddSink(seen.add)
	connect := func() *Cluster {
		t.Helper()
		c, err := r.ForCredentials(ctx, kubeA, namespacedCredentials(pc))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sweep := func(want int) {
		t.Helper()
		closed, err := r.Sweep(ctx, kubeA)
		if err != nil {
			t.Fatal(err)
		}
		if closed != want {
			t.Errorf("Sweep closed %d connections, want %d", closed, want)
		}
	}
	toA := connect()
	sweep(0)
	if again := connect(); again != toA {
		t.Error("a sweep closed the connection of unchanged credentials")
	}

	secret.Data["kubeconfig"] = kcB
	if err := kubeA.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	toB := connect()
	if toB == toA {
		t.Fatal("changed credentials kept the old connection")
	}
	sweep(1)
	if _, ok := r.cached(kubeconfigKey(kcA)); ok {
		t.Error("the connection of the old kubeconfig is still there")
	}

	// The old connection's informers are stopped: a Pod created in A now is not reported, one in B is.
	for _, kube := range []client.Client{kubeA, kubeB} {
		if err := kube.Create(ctx, managedPod("seen-after-sweep")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for seen.count("seen-after-sweep") == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Both Pods have the same name: the one of A would show as a second event, were A's informer running.
	// B's event came; A's, sent at the same time, would have by now or within the second after.
	time.Sleep(time.Second)
	if n := seen.count("seen-after-sweep"); n != 1 {
		t.Errorf("%d events of the Pod created in both clusters after the sweep, want 1 (B's)", n)
	}
	if err := toB.Client.List(ctx, &corev1.PodList{}); err != nil {
		t.Errorf("the new connection cannot read B: %v", err)
	}

	// Without its Secret the config leads nowhere: its connection goes, the provider's own stays. (The
	// provider's own connection reaches A too: made earlier, it would have reported A's Pod above.)
	injected, err := r.InjectedIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := kubeA.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	sweep(1)
	if again, err := r.InjectedIdentity(ctx); err != nil || again != injected {
		t.Errorf("the sweep closed the provider's own connection (%v)", err)
	}
}

func managedPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{kindnode.LabelManaged: kindnode.LabelManagedValue}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c"}}},
	}
}

// podEvents counts the events the registry's informers reported per Pod.
type podEvents struct {
	mu sync.Mutex
	n  map[types.NamespacedName]int
}

func (p *podEvents) add(e Event) {
	if _, ok := e.Object.(*corev1.Pod); !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[types.NamespacedName]int{}
	}
	p.n[types.NamespacedName{Namespace: e.Object.GetNamespace(), Name: e.Object.GetName()}]++
}

func (p *podEvents) count(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[types.NamespacedName{Namespace: "default", Name: name}]
}
