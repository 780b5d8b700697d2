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

package kubernetesmachine

import (
	"context"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestNodePodChanged(t *testing.T) {
	now := metav1.Now()
	cases := map[string]struct {
		reason string
		change func(*kindnodev1alpha1.NodePod)
		want   bool
	}{
		"Bookkeeping": {
			reason: "The NodePod controller's finalizer and create annotations show nowhere on the KubernetesMachine.",
			change: func(np *kindnodev1alpha1.NodePod) {
				np.Finalizers = []string{"finalizer.managedresource.crossplane.io"}
				meta.SetExternalCreatePending(np, now.Time)
			},
			want: false,
		},
		"ConditionTimeOnly": {
			reason: "A condition written again at another time shows nothing new.",
			change: func(np *kindnodev1alpha1.NodePod) {
				np.Status.SetConditions(xpv2.Creating().WithObservedGeneration(2))
				np.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(time.Minute))
			},
			want: false,
		},
		"ReadyChanged": {
			reason: "The NodePod's Ready is the KubernetesMachine's NodePodReady.",
			change: func(np *kindnodev1alpha1.NodePod) { np.Status.SetConditions(xpv2.Available()) },
			want:   true,
		},
		"BootstrapProgressed": {
			reason: "The NodePod's Bootstrapped is the KubernetesMachine's.",
			change: func(np *kindnodev1alpha1.NodePod) {
				np.Status.SetConditions(xpv2.Condition{Type: kindnodev1alpha1.TypeBootstrapped, Status: corev1.ConditionTrue, Reason: "BootstrapSucceeded"})
			},
			want: true,
		},
		"PodIPKnown": {
			reason: "The Pod's address is the KubernetesMachine's.",
			change: func(np *kindnodev1alpha1.NodePod) { np.Status.AtProvider.PodIP = "10.0.0.1" },
			want:   true,
		},
		"SpecChanged": {
			reason: "A NodePod edited by hand is put back as the Machine asks.",
			change: func(np *kindnodev1alpha1.NodePod) { np.Generation = 2 },
			want:   true,
		},
		"DeletionBegun": {
			reason: "A deleted NodePod is news to its KubernetesMachine.",
			change: func(np *kindnodev1alpha1.NodePod) { np.DeletionTimestamp = &now },
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			old := &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "np", Generation: 1}}
			old.Status.SetConditions(xpv2.Creating().WithObservedGeneration(1))
			cur := old.DeepCopy()
			tc.change(cur)
			got := nodePodChanged().Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nUpdate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReadyFirst(t *testing.T) {
	s := runtime.NewScheme()
	if err := infrav1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	rm := apimeta.NewDefaultRESTMapper(nil)
	rm.Add(infrav1.GroupVersion.WithKind("KubernetesMachine"), apimeta.RESTScopeNamespace)
	owner := handler.EnqueueRequestForOwner(s, rm, &infrav1.KubernetesMachine{}, handler.OnlyControllerOwner())

	km := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "km"}}
	backlog := []reconcile.Request{
		{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "new-1"}},
		{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "new-2"}},
	}
	cases := map[string]struct {
		reason string
		change func(*kindnodev1alpha1.NodePod)
		want   []reconcile.Request
	}{
		"ReadyGoesFirst": {
			reason: "A NodePod that turned Ready puts its KubernetesMachine ahead of those queued before.",
			change: func(np *kindnodev1alpha1.NodePod) { np.Status.SetConditions(xpv2.Available()) },
			want:   append([]reconcile.Request{km}, backlog...),
		},
		"BootstrappedGoesFirst": {
			reason: "A NodePod that finished its bootstrap puts its KubernetesMachine ahead of those queued before.",
			change: func(np *kindnodev1alpha1.NodePod) {
				np.Status.SetConditions(xpv2.Condition{Type: kindnodev1alpha1.TypeBootstrapped, Status: corev1.ConditionTrue, Reason: "Bootstrapped"})
			},
			want: append([]reconcile.Request{km}, backlog...),
		},
		"OtherChangesQueue": {
			reason: "Any other change of a NodePod queues its KubernetesMachine behind those queued before.",
			change: func(np *kindnodev1alpha1.NodePod) { np.Status.AtProvider.PodIP = "10.0.0.1" },
			want:   append(append([]reconcile.Request{}, backlog...), km),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q := priorityqueue.New[reconcile.Request]("test")
			defer q.ShutDown()
			for _, r := range backlog {
				q.Add(r)
			}
			old := &kindnodev1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "km", ResourceVersion: "1",
				OwnerReferences: []metav1.OwnerReference{{APIVersion: infrav1.GroupVersion.String(), Kind: "KubernetesMachine", Name: "km", UID: "u", Controller: ptr.To(true)}}}}
			old.Status.SetConditions(xpv2.Creating())
			cur := old.DeepCopy()
			cur.ResourceVersion = "2"
			tc.change(cur)
			readyFirst(owner).Update(context.Background(), event.UpdateEvent{ObjectOld: old, ObjectNew: cur}, q)

			var got []reconcile.Request
			for q.Len() > 0 {
				r, _ := q.Get()
				got = append(got, r)
				q.Done(r)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\norder: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
