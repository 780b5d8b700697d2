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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
)

// An apiProxy stands between the provider and an outer cluster's API server. down plays the API server's
// restart as the provider sees it: the connections it holds break and new ones are refused; up plays the
// API server back, on the same address.
type apiProxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newAPIProxy(t *testing.T, target string) *apiProxy {
	t.Helper()
	p := &apiProxy{target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *apiProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *apiProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	_ = c.Close()
	_ = s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// down stops listening and breaks every connection.
func (p *apiProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

// up listens again on the same address.
func (p *apiProxy) up(t *testing.T) {
	t.Helper()
	var ln net.Listener
	waitFor(t, "the API server's address to be free again", func() (err error) {
		ln, err = net.Listen("tcp", p.addr)
		return err
	})
	p.serve(ln)
}

// kubeconfigThrough is a kubeconfig of a new administrator of the test API server that reaches it at addr.
func kubeconfigThrough(t *testing.T, name, addr string) []byte {
	t.Helper()
	kc, err := env.Kubeconfig(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// restartTime is how long the outer API server is away in TestFaultOuterAPIServerRestart.
const restartTime = 5 * time.Second

// TestFaultOuterAPIServerRestart restarts the outer cluster's API server while NodePods are being created and
// deleted: the provider's connections to it break, its informers lose their watches, and the requests of
// the reconciles under way fail. Once the API server is back, every NodePod has its one node Pod and is
// Ready, the NodePod deleted meanwhile is gone with its Pod, and deleting the rest leaves nothing.
func TestFaultOuterAPIServerRestart(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	server, err := url.Parse(env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newAPIProxy(t, server.Host)
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kubeconfigThrough(t, "restarted-outer", proxy.addr)}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, secretProviderConfig(ns, "outer", "outer", ns)); err != nil {
		t.Fatal(err)
	}
	create := func(name string) {
		t.Helper()
		if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
			np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "outer"}
		})); err != nil {
			t.Fatal(err)
		}
	}
	before := []string{"before-0", "before-1", "before-2"}
	for _, name := range before {
		create(name)
	}
	waitFor(t, "the node Pods of the NodePods created before", func() error {
		for _, name := range before {
			if _, err := getPod(ns, name); err != nil {
				c := getNodePod(t, ns, name).Status.GetCondition(xpv2.TypeSynced)
				return fmt.Errorf("%w; NodePod Synced %s: %s", err, c.Status, c.Message)
			}
		}
		return nil
	})

	// The API server goes away while NodePods are created and one is deleted; it is back once the provider
	// failed to reach it for a NodePod.
	proxy.down()
	down := time.Now()
	during := []string{"during-0", "during-1"}
	for _, name := range during {
		create(name)
	}
	if err := kube.Delete(ctx, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: before[2]}}); err != nil {
		t.Fatal(err)
	}
	var failed string
	waitFor(t, "a NodePod to report the outer API server away", func() error {
		for _, name := range during {
			if c := getNodePod(t, ns, name).Status.GetCondition(xpv2.TypeSynced); c.Status == corev1.ConditionFalse {
				failed = c.Message
				return nil
			}
		}
		return errors.New("every NodePod created meanwhile is still Synced or unknown")
	})
	// A kube-apiserver takes seconds to restart; so long, the provider's watches retry and its requests fail.
	time.Sleep(time.Until(down.Add(restartTime)))
	proxy.up(t)
	away := time.Since(down).Round(100 * time.Millisecond)

	live := append(before[:2:2], during...)
	for _, name := range live {
		waitFor(t, "the node Pod of "+name, func() error {
			pod, err := getPod(ns, name)
			if err != nil {
				return err
			}
			if pod.Status.Phase != corev1.PodRunning {
				markRunningReady(t, pod)
			}
			return nil
		})
	}
	waitFor(t, "every NodePod Ready, and the one deleted meanwhile gone with its Pod", func() error {
		for _, name := range live {
			if c := getNodePod(t, ns, name).Status.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("%s: Ready is %s: %s", name, c.Status, c.Message)
			}
		}
		if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: before[2]}, &v1alpha1.NodePod{}); err == nil {
			return fmt.Errorf("NodePod %s is still there", before[2])
		}
		if _, err := getPod(ns, before[2]); err == nil {
			return fmt.Errorf("the node Pod of deleted NodePod %s is still there", before[2])
		}
		return nil
	})
	pods := &corev1.PodList{}
	if err := kube.List(ctx, pods, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != len(live) {
		t.Errorf("%d node Pods for %d NodePods", len(pods.Items), len(live))
	}
	for _, name := range live {
		if err := kube.Delete(ctx, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
			t.Fatal(err)
		}
	}
	nothingLeft(ctx, t, ns, "outer")
	observed(t, "API server away %s (a NodePod said %q); then %d NodePods Ready with one Pod each, the one deleted meanwhile gone, nothing left",
		away, firstLine(failed), len(live))
}

// firstLine is s up to its first line break, cut to a length a table shows.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 100 {
		return s[:97] + "..."
	}
	return s
}

// TestFaultProviderKilledAfterCreate kills the provider right after the API server created a node Pod, and
// right after it created a KubernetesMachine's NodePod: before it recorded either in the status or the
// annotations of the object it reconciled. The next provider finds what was created by its name and goes
// on: one node Pod, the same one, and a Machine that is provisioned.
func TestFaultProviderKilledAfterCreate(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	// The test's namespace holds nothing else of the kind the provider creates at that moment.
	created := func(resource string) func(*http.Request, int) bool {
		return func(req *http.Request, code int) bool {
			return req.Method == http.MethodPost && code == http.StatusCreated && strings.HasSuffix(req.URL.Path, "/namespaces/"+ns+"/"+resource)
		}
	}

	// A NodePod: killed after its Pod's create.
	np := "killed-after-pod-create"
	fired := provider.kill.armAt(created("pods"))
	if err := kube.Create(ctx, newNodePod(ns, np)); err != nil {
		t.Fatal(err)
	}
	waitForSignal(t, "the provider to die after it created the node Pod", fired)
	pod, err := getPod(ns, np)
	if err != nil {
		t.Fatal(err)
	}
	annotations := getNodePod(t, ns, np).GetAnnotations()
	pending := annotations[meta.AnnotationKeyExternalCreatePending] != "" && annotations[meta.AnnotationKeyExternalCreateSucceeded] == ""
	restartProvider(t)
	markRunningReady(t, pod)
	waitFor(t, "the NodePod Ready with the same Pod", func() error {
		got := getNodePod(t, ns, np)
		if c := got.Status.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
		}
		if c := got.Status.GetCondition(xpv2.TypeSynced); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Synced is %s: %s", c.Status, c.Message)
		}
		return nil
	})
	if now, err := getPod(ns, np); err != nil || now.UID != pod.UID {
		t.Errorf("the node Pod was replaced: %v", err)
	}

	// A KubernetesMachine: killed after its NodePod's create.
	newCAPICluster(t, ns, "killed")
	m := fakeExecPrefix + "killed-after-create"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte("#cloud-config\n")}}); err != nil {
		t.Fatal(err)
	}
	fired = provider.kill.armAt(created("nodepods"))
	newDataMachine(t, ns, "killed", m, "boot")
	waitForSignal(t, "the provider to die after it created the NodePod", fired)
	first := getNodePod(t, ns, m)
	restartProvider(t)
	waitForRunningPod(t, ns, m)
	waitForProvisioned(t, ns, m)
	if now := getNodePod(t, ns, m); now.UID != first.UID {
		t.Errorf("the NodePod was replaced")
	}
	nps := &v1alpha1.NodePodList{}
	if err := kube.List(ctx, nps, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(nps.Items) != 2 {
		t.Errorf("%d NodePods, want 2: one per NodePod or Machine", len(nps.Items))
	}

	if err := kube.Delete(ctx, &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "killed"}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Delete(ctx, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: np}}); err != nil {
		t.Fatal(err)
	}
	nothingLeft(ctx, t, ns, "boot")
	observed(t, "killed after the Pod's create (create pending recorded: %t) and after a Machine's NodePod's create; the next provider kept both, Ready and provisioned, nothing left", pending)
}

func waitForSignal(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(timeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestFaultNamespaceDeleted plays the deletion of the namespace of a running cluster of Cluster API as the
// outer cluster's namespace controller does it (no namespace controller runs next to the test API server):
// the namespace Terminating, and everything in it deleted at once, the ProviderConfigs and their usages, the
// Cluster, its KubernetesCluster, Machine and KubernetesMachine, the NodePod and node Pod, in no order. Every
// finalizer must let go: a KubernetesMachine whose KubernetesCluster went first once waited for it for ever,
// and so did a NodePod whose ProviderConfig went first, each holding the namespace.
func TestFaultNamespaceDeleted(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	newCAPICluster(t, ns, "doomed")
	m := fakeExecPrefix + "doomed-cp"
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte("#cloud-config\n")}}); err != nil {
		t.Fatal(err)
	}
	newDataMachine(t, ns, "doomed", m, "boot")
	waitForRunningPod(t, ns, m)
	waitForProvisioned(t, ns, m)

	// The namespace is Terminating from now on: nothing new can be created in it, a ProviderConfigUsage
	// neither. Its content goes in the worst order: the configs and their usages first.
	start := time.Now()
	if err := kube.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []client.Object{&apisv1alpha1.ProviderConfigUsage{}, &apisv1alpha1.ProviderConfig{}, &infrav1.KubernetesCluster{}, &clusterv1.Cluster{}, &clusterv1.Machine{}, &infrav1.KubernetesMachine{}, &v1alpha1.NodePod{}, &v1alpha1.NodeService{}, &corev1.Pod{}, &corev1.Service{}} {
		if err := kube.DeleteAllOf(ctx, o, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
	}
	nothingLeft(ctx, t, ns, "boot")
	waitFor(t, "the ProviderConfigs to be gone once nothing uses them", func() error {
		pcs := &apisv1alpha1.ProviderConfigList{}
		if err := kube.List(ctx, pcs, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(pcs.Items) > 0 {
			return fmt.Errorf("%d ProviderConfigs left, %s with finalizers %v", len(pcs.Items), pcs.Items[0].Name, pcs.Items[0].Finalizers)
		}
		return nil
	})
	observed(t, "every object of the namespace deleted at once; all gone, every finalizer let go, %s after", time.Since(start).Round(100*time.Millisecond))
}
