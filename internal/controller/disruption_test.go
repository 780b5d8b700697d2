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
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

func getBudget(ns, name string) (*policyv1.PodDisruptionBudget, error) {
	pdb := &policyv1.PodDisruptionBudget{}
	err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pdb)
	return pdb, err
}

// updateNodeService applies fn to the latest NodeService until the update does not conflict.
func updateNodeService(t *testing.T, ns, name string, fn func(*v1alpha1.NodeService)) {
	t.Helper()
	waitFor(t, "NodeService update", func() error {
		s := getNodeService(t, ns, name)
		fn(s)
		return kube.Update(context.Background(), s)
	})
}

// budgetWith waits for the PodDisruptionBudget ns/name to keep minAvailable control-plane Pods of cluster
// "inner" through eviction.
func budgetWith(t *testing.T, ns, name string, minAvailable int32) *policyv1.PodDisruptionBudget {
	t.Helper()
	var pdb *policyv1.PodDisruptionBudget
	waitFor(t, fmt.Sprintf("a PodDisruptionBudget with minAvailable %d", minAvailable), func() (err error) {
		if pdb, err = getBudget(ns, name); err != nil {
			return err
		}
		if pdb.Spec.MaxUnavailable != nil {
			return fmt.Errorf("maxUnavailable %v is set: the disruption controller allows nothing under it for Pods without a controller", pdb.Spec.MaxUnavailable)
		}
		if mu := pdb.Spec.MinAvailable; mu == nil || mu.IntVal != minAvailable {
			return fmt.Errorf("minAvailable %v", mu)
		}
		return nil
	})
	return pdb
}

func TestNodeServiceDisruptionBudget(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodeService(ns, "inner-lb")); err != nil {
		t.Fatal(err)
	}
	const name = "inner-lb-control-plane"

	t.Run("CreatedWithTheServiceSelector", func(t *testing.T) {
		if b := getNodeService(t, ns, "inner-lb").Spec.ForProvider.ControlPlaneDisruptionBudget; b == nil || !ptr.Deref(b.Enabled, false) || b.MinAvailable != nil {
			t.Errorf("the API should default controlPlaneDisruptionBudget to enabled, minAvailable from the quorum, got %+v", b)
		}
		// No control-plane NodePods yet: the quorum of none is one.
		pdb := budgetWith(t, ns, name, 1)
		svc, err := getService(ns, "inner-lb")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pdb.Spec.Selector, (&metav1.LabelSelector{MatchLabels: svc.Spec.Selector}); !equalSelectors(got, want) {
			t.Errorf("selector: got %v, want the Service's %v", got, want)
		}
		if p := pdb.Spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
			t.Errorf("unhealthyPodEvictionPolicy: got %v, want AlwaysAllow", p)
		}
		// The informer cache sees only managed objects, and changes reach the NodeService through the owner.
		for k, v := range map[string]string{
			kindnode.LabelManaged:        kindnode.LabelManagedValue,
			kindnode.LabelClusterName:    "inner",
			kindnode.LabelOwnerKind:      v1alpha1.NodeServiceKind,
			kindnode.LabelOwnerName:      "inner-lb",
			kindnode.LabelOwnerNamespace: ns,
		} {
			if pdb.Labels[k] != v {
				t.Errorf("label %s: got %q, want %q", k, pdb.Labels[k], v)
			}
		}
		waitFor(t, "atProvider.disruptionBudget", func() error {
			if got := getNodeService(t, ns, "inner-lb").Status.AtProvider.DisruptionBudget; got != name {
				return fmt.Errorf("got %q", got)
			}
			return nil
		})
	})

	t.Run("QuorumFollowsTheControlPlaneNodePods", func(t *testing.T) {
		for _, n := range []string{"cp-0", "cp-1", "cp-2"} {
			if err := kube.Create(ctx, newNodePod(ns, n, func(np *v1alpha1.NodePod) { np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane })); err != nil {
				t.Fatal(err)
			}
		}
		budgetWith(t, ns, name, 2)
	})

	t.Run("MinAvailableFollowsForProvider", func(t *testing.T) {
		updateNodeService(t, ns, "inner-lb", func(s *v1alpha1.NodeService) {
			s.Spec.ForProvider.ControlPlaneDisruptionBudget.MinAvailable = ptr.To[int32](3)
		})
		budgetWith(t, ns, name, 3)
	})

	t.Run("DeletedByHandComesBack", func(t *testing.T) {
		old, err := getBudget(ns, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := kube.Delete(ctx, old); err != nil {
			t.Fatal(err)
		}
		// The poll interval is an hour: only the watch on the budget can bring it back in time.
		waitFor(t, "a new PodDisruptionBudget", func() error {
			pdb, err := getBudget(ns, name)
			if err != nil {
				return err
			}
			if pdb.UID == old.UID {
				return errors.New("still the deleted one")
			}
			return nil
		})
		budgetWith(t, ns, name, 3)
	})

	t.Run("DisablingRemovesIt", func(t *testing.T) {
		updateNodeService(t, ns, "inner-lb", func(s *v1alpha1.NodeService) {
			s.Spec.ForProvider.ControlPlaneDisruptionBudget.Enabled = ptr.To(false)
		})
		waitFor(t, "the PodDisruptionBudget to be gone", func() error {
			if _, err := getBudget(ns, name); !kerrors.IsNotFound(err) {
				return fmt.Errorf("PodDisruptionBudget: %v", err)
			}
			if got := getNodeService(t, ns, "inner-lb").Status.AtProvider.DisruptionBudget; got != "" {
				return fmt.Errorf("atProvider.disruptionBudget is still %q", got)
			}
			return nil
		})
		if _, err := getService(ns, "inner-lb"); err != nil {
			t.Errorf("the Service should stay: %v", err)
		}
	})

	t.Run("DeletingTheNodeServiceRemovesIt", func(t *testing.T) {
		updateNodeService(t, ns, "inner-lb", func(s *v1alpha1.NodeService) {
			s.Spec.ForProvider.ControlPlaneDisruptionBudget.Enabled = ptr.To(true)
		})
		budgetWith(t, ns, name, 3)
		if err := kube.Delete(ctx, getNodeService(t, ns, "inner-lb")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "PodDisruptionBudget, Service and NodeService to be gone", func() error {
			if _, err := getBudget(ns, name); !kerrors.IsNotFound(err) {
				return fmt.Errorf("PodDisruptionBudget: %v", err)
			}
			if _, err := getService(ns, "inner-lb"); !kerrors.IsNotFound(err) {
				return fmt.Errorf("service: %v", err)
			}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "inner-lb"}, &v1alpha1.NodeService{}); !kerrors.IsNotFound(err) {
				return fmt.Errorf("NodeService: %v", err)
			}
			return nil
		})
	})
}

func equalSelectors(a, b *metav1.LabelSelector) bool {
	return a != nil && b != nil && maps.Equal(a.MatchLabels, b.MatchLabels) && len(a.MatchExpressions) == 0 && len(b.MatchExpressions) == 0
}

// writeBudgetStatus writes the status kube-controller-manager's disruption controller would: it does not
// run against the test API server, and the eviction handler refuses every eviction under a budget whose
// status.observedGeneration is behind its generation or whose status.disruptionsAllowed is 0.
func writeBudgetStatus(t *testing.T, ns, name string, expected, healthy, desired int32) {
	t.Helper()
	waitFor(t, "the PodDisruptionBudget status", func() error {
		pdb, err := getBudget(ns, name)
		if err != nil {
			return err
		}
		allowed := max(healthy-desired, 0)
		pdb.Status = policyv1.PodDisruptionBudgetStatus{
			ObservedGeneration: pdb.Generation,
			ExpectedPods:       expected,
			CurrentHealthy:     healthy,
			DesiredHealthy:     desired,
			DisruptionsAllowed: allowed,
			Conditions:         pdb.Status.Conditions,
		}
		c := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue, Reason: policyv1.SufficientPodsReason, ObservedGeneration: pdb.Generation}
		if allowed == 0 {
			c.Status, c.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
		}
		meta.SetStatusCondition(&pdb.Status.Conditions, c)
		return kube.Status().Update(context.Background(), pdb)
	})
}

func evict(pod *corev1.Pod) error {
	return kube.SubResource("eviction").Create(context.Background(), pod, &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name},
	})
}

func TestDisruptionBudgetGuardsEvictions(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodeService(ns, "inner-lb")); err != nil {
		t.Fatal(err)
	}
	const name = "inner-lb-control-plane"
	pods := map[string]*corev1.Pod{}
	for _, n := range []string{"cp-0", "cp-1", "cp-2"} {
		if err := kube.Create(ctx, newNodePod(ns, n, func(np *v1alpha1.NodePod) { np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane })); err != nil {
			t.Fatal(err)
		}
		var pod *corev1.Pod
		waitFor(t, "the node Pod "+n, func() (err error) { pod, err = getPod(ns, n); return err })
		// They must be Running: the eviction handler deletes Pending Pods without looking at budgets.
		markRunningReady(t, pod)
		pods[n] = pod
	}
	// Three control-plane nodes: etcd keeps quorum with two.
	budgetWith(t, ns, name, 2)

	t.Run("OneEvictionIsAllowed", func(t *testing.T) {
		writeBudgetStatus(t, ns, name, 3, 3, 2)
		if err := evict(pods["cp-0"]); err != nil {
			t.Fatalf("evicting the first control-plane Pod: %v", err)
		}
		// The handler took the disruption from the budget itself; the second eviction would be refused even
		// if the disruption controller had not caught up yet.
		pdb, err := getBudget(ns, name)
		if err != nil {
			t.Fatal(err)
		}
		if pdb.Status.DisruptionsAllowed != 0 {
			t.Errorf("disruptionsAllowed after the eviction: got %d, want 0", pdb.Status.DisruptionsAllowed)
		}
	})

	t.Run("TheSecondEvictionIsRefused", func(t *testing.T) {
		// What the disruption controller sees while the evicted node has not come back: two of three healthy.
		writeBudgetStatus(t, ns, name, 3, 2, 2)
		err := evict(pods["cp-1"])
		if !kerrors.IsTooManyRequests(err) {
			t.Fatalf("evicting the second control-plane Pod: got %v, want 429 TooManyRequests", err)
		}
		if !refusedBy(err, name) {
			t.Errorf("the refusal should name budget %s: %v", name, err)
		}
		if p, err := getPod(ns, "cp-1"); err != nil || p.UID != pods["cp-1"].UID {
			t.Errorf("the control-plane Pod should stay: %v", err)
		}
	})

	t.Run("AnUnreadyPodMayGo", func(t *testing.T) {
		pod, err := getPod(ns, "cp-1")
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady || c.Type == corev1.ContainersReady {
				pod.Status.Conditions[i].Status = corev1.ConditionFalse
			}
		}
		if err := kube.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		// One healthy of the two desired: the default IfHealthyBudget policy would refuse this eviction.
		writeBudgetStatus(t, ns, name, 3, 1, 2)
		if err := evict(pod); err != nil {
			t.Fatalf("evicting a control-plane Pod that is not ready: %v", err)
		}
	})
}

// refusedBy reports whether err is the eviction handler refusing because of the budget named name.
func refusedBy(err error, name string) bool {
	var se *kerrors.StatusError
	if !errors.As(err, &se) || se.ErrStatus.Details == nil {
		return false
	}
	for _, c := range se.ErrStatus.Details.Causes {
		if c.Type == policyv1.DisruptionBudgetCause && strings.Contains(c.Message, name) {
			return true
		}
	}
	return false
}
