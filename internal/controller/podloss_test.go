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
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// createNodePodWithLossPolicy creates the NodePod ns/node with podLossPolicy policy and returns its Pod once
// the provider created it.
func createNodePodWithLossPolicy(t *testing.T, ns string, policy v1alpha1.PodLossPolicy) *corev1.Pod {
	t.Helper()
	if err := kube.Create(context.Background(), newNodePod(ns, "node", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.PodLossPolicy = policy
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod", func() (err error) {
		pod, err = getPod(ns, "node")
		return err
	})
	return pod
}

// TestNodePodLostPod deletes a node Pod behind its NodePod's back, as an eviction or a lost outer node would.
func TestNodePodLostPod(t *testing.T) {
	cases := map[string]struct {
		policy v1alpha1.PodLossPolicy
		// recreated: a new Pod comes; otherwise Ready reports the loss and no Pod comes.
		recreated bool
	}{
		"DefaultRecreatesThePod": {policy: "", recreated: true},
		"ReportKeepsThePodGone":  {policy: v1alpha1.PodLossPolicyReport, recreated: false},
	}
	var seen []string
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ns := newNamespace(t)
			pod := createNodePodWithLossPolicy(t, ns, tc.policy)
			markRunningReady(t, pod)
			waitFor(t, "the NodePod Ready with the Pod's uid", func() error {
				np := getNodePod(t, ns, "node")
				if c := np.Status.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue || np.Status.AtProvider.PodUID != string(pod.UID) {
					return fmt.Errorf("Ready %s, podUID %q", c.Status, np.Status.AtProvider.PodUID)
				}
				return nil
			})

			if err := kube.Delete(ctx, pod, client.GracePeriodSeconds(0)); err != nil {
				t.Fatal(err)
			}

			if tc.recreated {
				waitFor(t, "a new Pod", func() error {
					p, err := getPod(ns, "node")
					if err != nil {
						return err
					}
					if p.UID == pod.UID {
						return fmt.Errorf("still the lost Pod")
					}
					return nil
				})
				if err := kube.Delete(ctx, getNodePod(t, ns, "node")); err != nil {
					t.Fatal(err)
				}
				nothingLeft(ctx, t, ns)
				seen = append(seen, name+": a new Pod came")
				return
			}

			waitFor(t, "Ready False with reason PodLost", func() error {
				c := getNodePod(t, ns, "node").Status.GetCondition(xpv2.TypeReady)
				if c.Status != corev1.ConditionFalse || c.Reason != v1alpha1.ReasonPodLost || !strings.Contains(c.Message, string(pod.UID)) {
					return fmt.Errorf("Ready is %s %s: %s", c.Status, c.Reason, c.Message)
				}
				return nil
			})
			// Another reconcile (a spec change) must not create a Pod either. Synced records the generation a
			// reconcile saw, after whatever it created.
			updateNodePod(t, ns, "node", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.Labels = map[string]string{"poke": "1"} })
			generation := getNodePod(t, ns, "node").Generation
			waitFor(t, "a reconcile of the new spec", func() error {
				if c := getNodePod(t, ns, "node").Status.GetCondition(xpv2.TypeSynced); c.ObservedGeneration < generation {
					return fmt.Errorf("Synced is %s/%s for generation %d, want %d", c.Status, c.Reason, c.ObservedGeneration, generation)
				}
				return nil
			})
			if _, err := getPod(ns, "node"); !kerrors.IsNotFound(err) {
				t.Fatalf("a Pod exists after its loss under podLossPolicy Report: %v", err)
			}

			// The NodePod of a lost Pod still deletes.
			if err := kube.Delete(ctx, getNodePod(t, ns, "node")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the NodePod to be gone", func() error {
				err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "node"}, &v1alpha1.NodePod{})
				if !kerrors.IsNotFound(err) {
					return fmt.Errorf("NodePod still there: %v", err)
				}
				return nil
			})
			nothingLeft(ctx, t, ns)
			seen = append(seen, name+": Ready=False PodLost, no Pod after another reconcile")
		})
	}
	slices.Sort(seen)
	observed(t, "%s; each NodePod then deleted, nothing left", strings.Join(seen, "; "))
}

// TestNodePodLossPolicyValidation: an update that replaces the Pod would look like a loss under Report.
func TestNodePodLossPolicyValidation(t *testing.T) {
	np := newNodePod(newNamespace(t), "both", func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.PodLossPolicy = v1alpha1.PodLossPolicyReport
		np.Spec.ForProvider.UpdatePolicy = v1alpha1.UpdatePolicyRecreate
	})
	err := kube.Create(context.Background(), np)
	if err == nil || !strings.Contains(err.Error(), "podLossPolicy Report cannot be combined with updatePolicy Recreate") {
		t.Fatalf("Create() error = %v, want the CEL rule's message", err)
	}
}

// TestNodePodOnALostOuterNode deletes a NodePod whose Pod runs on an outer Node that stops reporting, as when
// an outer node is powered off: its Pod would stay Terminating for as long as the Node is away, and with it
// the NodePod and the Machine Cluster API waits to replace.
func TestNodePodOnALostOuterNode(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	outerNode := ns + "-node"
	newOuterNode(t, outerNode, "")
	pod := createNodePodWithLossPolicy(t, ns, v1alpha1.PodLossPolicyReport)
	// The test plays the scheduler, which binds the Pod to the Node, and the kubelet, which runs it.
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod.Name}, Target: corev1.ObjectReference{Kind: "Node", Name: outerNode}}
	if err := kube.SubResource("binding").Create(ctx, pod, binding); err != nil {
		t.Fatal(err)
	}
	pod, err := getPod(ns, "node")
	if err != nil {
		t.Fatal(err)
	}
	markRunningReady(t, pod)

	// A Pod on a Node is deleted gracefully: it stays until its kubelet confirms its containers stopped,
	// which no kubelet does here. A grace period of a second keeps the test short.
	if err := kube.Delete(ctx, pod, client.GracePeriodSeconds(1)); err != nil {
		t.Fatal(err)
	}
	if err := kube.Delete(ctx, getNodePod(t, ns, "node")); err != nil {
		t.Fatal(err)
	}

	t.Run("AReachableNodeFinishesTheTerminationItself", func(t *testing.T) {
		// Past its grace period the Pod stays: its Node is Ready, and its kubelet still may stop it.
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			p, err := getPod(ns, "node")
			if err != nil {
				t.Fatalf("the Pod of a Ready outer Node went before its kubelet stopped it: %v", err)
			}
			if p.DeletionTimestamp == nil {
				t.Fatalf("the Pod is not terminating")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("ALostNodesPodIsRemoved", func(t *testing.T) {
		// The test plays the node lifecycle controller: a Node whose kubelet stopped reporting is Ready
		// Unknown and tainted unreachable, and its Pods are marked not ready.
		setNodeReady(t, outerNode, corev1.ConditionUnknown)
		p, err := getPod(ns, "node")
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == corev1.PodReady {
				p.Status.Conditions[i].Status = corev1.ConditionFalse
			}
		}
		if err := kube.Status().Update(ctx, p); err != nil {
			t.Fatal(err)
		}
		waitForPodAndNodePodGone(t, ns, "node")
	})
}
