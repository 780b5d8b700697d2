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
	"slices"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

const (
	// leaderLease is the Lease the provider's replicas elect their leader with: leaderElectionID in
	// internal/provider/provider.go.
	leaderLease = "crossplane-leader-election-provider-kindnode"
	// leaderNamespace is where the replicas of TestFaultTwoReplicas keep it, as a Deployment's replicas keep it
	// in the namespace they run in.
	leaderNamespace = "crossplane-system"
)

// TestFaultTwoReplicas runs two replicas of the provider, A and B, with leader election on, as a Deployment
// of two does. The suite's provider runs without leader election against the suite's API server, so the
// replicas get an API server of their own. A leads and makes the node Pods of three NodePods; while the
// nodes are still coming up A stops, as a provider Pod that is deleted or replaced by a rolling update
// does. A hands its Lease over as it stops, so B leads within seconds and not once the Lease expired, and
// finishes what A started: every NodePod Ready with the one Pod A made for it. B then deletes all of it.
func TestFaultTwoReplicas(t *testing.T) {
	ctx := context.Background()
	crds, err := testenv.ClusterAPICRDs()
	if err != nil {
		t.Fatal(err)
	}
	e, err := testenv.Start(crds...)
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so that it runs last: after both replicas stopped.
	t.Cleanup(func() { _ = e.Stop() })
	kubeE, err := client.New(e.Config, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := kubeE.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaderNamespace}}); err != nil {
		t.Fatal(err)
	}
	// Worker NodePods without bootstrap data run nothing in their nodes; should a replica try, the recorder
	// answers, not a pods/exec no kubelet serves.
	nodes := testprovider.NewExecRecorder()
	replica := func(name string) (stop func(), stopped <-chan struct{}) {
		t.Helper()
		rctx, cancel := context.WithCancel(ctx)
		stopped, err := testprovider.StartReplica(rctx, e, ctrl.Log.WithName(name), nodes.Node, leaderNamespace)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cancel()
			select {
			case <-stopped:
			case <-time.After(timeout):
				t.Errorf("replica %s did not stop", name)
			}
		})
		return cancel, stopped
	}
	lease := func() (*coordinationv1.Lease, error) {
		l := &coordinationv1.Lease{}
		err := kubeE.Get(ctx, types.NamespacedName{Namespace: leaderNamespace, Name: leaderLease}, l)
		return l, err
	}
	holder := func(l *coordinationv1.Lease) string {
		if l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}

	stopA, stoppedA := replica("replica-a")
	// A replica's identity is its host name and a UUID of its own: the first holder is A, and any other
	// holder can only be B.
	var a string
	var leaseSeconds int32
	waitFor(t, "replica A to hold the Lease", func() error {
		l, err := lease()
		if err != nil {
			return err
		}
		if a = holder(l); a == "" {
			return errors.New("nobody holds it")
		}
		if l.Spec.LeaseDurationSeconds == nil {
			return errors.New("no lease duration")
		}
		leaseSeconds = *l.Spec.LeaseDurationSeconds
		return nil
	})
	replica("replica-b")

	ns := "t-replicas"
	if err := kubeE.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := kubeE.Create(ctx, &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"},
		Spec:       apisv1alpha1.ProviderConfigSpec{Credentials: apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}},
	}); err != nil {
		t.Fatal(err)
	}
	names := []string{"np-0", "np-1", "np-2"}
	nodePods := map[string]types.UID{}
	for _, n := range names {
		np := newNodePod(ns, n)
		if err := kubeE.Create(ctx, np); err != nil {
			t.Fatal(err)
		}
		nodePods[n] = np.UID
	}
	getPodE := func(name string) (*corev1.Pod, error) {
		pod := &corev1.Pod{}
		err := kubeE.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, pod)
		return pod, err
	}
	getNodePodE := func(name string) (*v1alpha1.NodePod, error) {
		np := &v1alpha1.NodePod{}
		err := kubeE.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, np)
		return np, err
	}
	ready := func(name string) error {
		np, err := getNodePodE(name)
		if err != nil {
			return err
		}
		if c := condition(np.Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("NodePod %s: Ready is %s: %s", name, c.Status, c.Message)
		}
		return nil
	}
	markReady := func(name string) {
		t.Helper()
		pod, err := getPodE(name)
		if err != nil {
			t.Fatal(err)
		}
		markRunningReadyIn(t, kubeE, pod)
	}

	// A makes the three node Pods (B, not leading, reconciles nothing) and one node comes up.
	pods := map[string]types.UID{}
	waitFor(t, "replica A to make the node Pods", func() error {
		for _, n := range names {
			pod, err := getPodE(n)
			if err != nil {
				return err
			}
			pods[n] = pod.UID
		}
		return nil
	})
	markReady(names[0])
	waitFor(t, "NodePod "+names[0]+" Ready under replica A", func() error { return ready(names[0]) })
	l, err := lease()
	if err != nil {
		t.Fatal(err)
	}
	if h := holder(l); h != a {
		t.Fatalf("the Lease moved from A to %q while A ran", h)
	}
	if err := ready(names[2]); err == nil {
		t.Fatalf("NodePod %s is Ready before its node Pod runs", names[2])
	}

	// A stops mid-run; a node comes up while nobody leads, another once B does.
	stoppedAt := time.Now()
	stopA()
	markReady(names[1])
	var b string
	waitFor(t, "replica B to hold the Lease A held", func() error {
		l, err := lease()
		if err != nil {
			return err
		}
		if h := holder(l); h == "" || h == a {
			return fmt.Errorf("held by %q", h)
		}
		b = holder(l)
		return nil
	})
	handover := time.Since(stoppedAt)
	select {
	case <-stoppedA:
	case <-time.After(timeout):
		t.Fatal("replica A did not stop")
	}
	// B tries for the Lease every 2 s (controller-runtime's retry period, up to 4.4 s with its jitter). A Lease
	// released as A stops is B's at its next try, a few seconds after A's in-flight reconciles end; one A
	// kept would be B's only once it expired, leaseSeconds (60 s, provider.go's leaseDuration) after A's last
	// renewal, ~50-60 s after A stopped. A quarter of the lease tells the two apart with room to spare on a
	// busy machine.
	if limit := time.Duration(leaseSeconds) * time.Second / 4; handover > limit {
		t.Fatalf("replica B led %s after A stopped, over %s: A did not release its Lease (%d s)", handover.Round(100*time.Millisecond), limit, leaseSeconds)
	}
	markReady(names[2])

	// B finishes: every NodePod Ready, with the one Pod A made for it.
	waitFor(t, "every NodePod Ready under replica B", func() error {
		for _, n := range names {
			if err := ready(n); err != nil {
				return err
			}
		}
		return nil
	})
	podList := &corev1.PodList{}
	if err := kubeE.List(ctx, podList, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range podList.Items {
		got = append(got, p.Name)
		if uid, ok := pods[p.Name]; ok && p.UID != uid {
			t.Errorf("the node Pod %s was made anew under B", p.Name)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, names) {
		t.Fatalf("node Pods %v, want one for each NodePod %v", got, names)
	}
	if l, err := lease(); err != nil || holder(l) != b {
		t.Fatalf("B no longer leads: %v", err)
	}

	// B deletes it all.
	for _, n := range names {
		if err := kubeE.Delete(ctx, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the NodePods and their Pods to be gone", func() error {
		for _, n := range names {
			if _, err := getNodePodE(n); !kerrors.IsNotFound(err) {
				return fmt.Errorf("NodePod %s still there: %v", n, err)
			}
			if _, err := getPodE(n); !kerrors.IsNotFound(err) {
				return fmt.Errorf("Pod %s still there: %v", n, err)
			}
		}
		return nil
	})
	// A usage is owned by its NodePod and goes with it through the garbage collector, which is part of
	// kube-controller-manager and does not run next to the test API server: do its work here.
	usages := &apisv1alpha1.ProviderConfigUsageList{}
	if err := kubeE.List(ctx, usages, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range usages.Items {
		u := &usages.Items[i]
		if len(u.OwnerReferences) != 1 || u.OwnerReferences[0].UID != nodePods[u.OwnerReferences[0].Name] {
			t.Fatalf("usage %s is not owned by a NodePod of the test: %+v", u.Name, u.OwnerReferences)
		}
		if err := kubeE.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	nothingLeftIn(ctx, t, e.Config, ns)

	observed(t, "B led %s after A stopped (lease %d s); %d NodePods Ready under B, one Pod each, nothing left",
		handover.Round(100*time.Millisecond), leaseSeconds, len(names))
}
