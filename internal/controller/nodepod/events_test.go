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

package nodepod

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

var owner = types.NamespacedName{Namespace: "ns", Name: "np"}

// outerPod is a node Pod of NodePod owner, just created, changed by fns.
func outerPod(fns ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "outer", Name: "np", UID: "uid-1", ResourceVersion: "1",
			Labels: kindnode.OwnerLabels(kindnode.Owner{Kind: v1alpha1.NodePodKind, Namespace: owner.Namespace, Name: owner.Name})},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: kindnode.ContainerName, Image: "kindest/node:v1.37.2"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, fn := range fns {
		fn(p)
	}
	return p
}

func bound(p *corev1.Pod) { p.Spec.NodeName = "outer-node" }

func ready(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = "10.0.0.1"
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: kindnode.ContainerName, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
}

func newerVersion(p *corev1.Pod) { p.ResourceVersion = "2" }

func started(p *corev1.Pod) { p.Status.StartTime = &metav1.Time{} }

func heartbeat(p *corev1.Pod) {
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastProbeTime: metav1.Now()})
}

func terminating(p *corev1.Pod) {
	now := metav1.Now()
	p.DeletionTimestamp = &now
}

func TestPodEvents(t *testing.T) {
	now := metav1.Now()
	cases := map[string]struct {
		reason   string
		event    clients.Event
		deleted  bool // the owning NodePod is being deleted
		want     bool
		wantWait time.Duration
	}{
		"Added": {
			reason: "A new node Pod is one its NodePod created, or one every NodePod's first reconcile observes.",
			event:  clients.Event{Object: outerPod()},
			want:   false,
		},
		"Deleted": {
			reason: "A node Pod that is gone concerns its NodePod.",
			event:  clients.Event{Object: outerPod(ready), Deleted: true},
			want:   true,
		},
		"DeletedWhileNodePodDeleted": {
			reason:  "A node Pod that is gone releases the finalizer of a NodePod being deleted.",
			event:   clients.Event{Object: outerPod(ready, terminating), Deleted: true},
			deleted: true,
			want:    true,
		},
		"Bound": {
			reason:   "A node Pod that was scheduled changes the NodePod's observation, but is more likely than not to change again soon.",
			event:    clients.Event{Old: outerPod(), Object: outerPod(bound, newerVersion)},
			want:     true,
			wantWait: progressWait,
		},
		"Ready": {
			reason: "A node Pod that turned Ready makes its NodePod Ready.",
			event:  clients.Event{Old: outerPod(bound), Object: outerPod(bound, ready, newerVersion)},
			want:   true,
		},
		"Terminating": {
			reason: "A node Pod being deleted makes its NodePod unavailable.",
			event:  clients.Event{Old: outerPod(bound, ready), Object: outerPod(bound, ready, terminating, newerVersion)},
			want:   true,
		},
		"Relabelled": {
			reason:   "A node Pod whose labels changed may need them put back, soon.",
			event:    clients.Event{Old: outerPod(bound, ready), Object: outerPod(bound, ready, newerVersion, func(p *corev1.Pod) { p.Labels["user"] = "x" })},
			want:     true,
			wantWait: progressWait,
		},
		"Started": {
			reason: "A node container that started may start its bootstrap at once.",
			event: clients.Event{Old: outerPod(bound), Object: outerPod(bound, newerVersion, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodRunning
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: kindnode.ContainerName, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
			})},
			want: true,
		},
		"NothingObservedChanged": {
			reason: "Status fields no NodePod shows, such as the start time or a probe time, do not concern it.",
			event:  clients.Event{Old: outerPod(bound, ready), Object: outerPod(bound, ready, started, heartbeat, newerVersion)},
			want:   false,
		},
		"UpdateWhileNodePodDeleted": {
			reason:  "A NodePod being deleted only waits for its Pod to be gone.",
			event:   clients.Event{Old: outerPod(bound, ready), Object: outerPod(bound, ready, terminating, newerVersion)},
			deleted: true,
			want:    false,
		},
		"UnavailableWhileNodePodDeleted": {
			reason: "A terminating node Pod that turns unavailable may be one of a lost outer Node, which a NodePod being deleted removes.",
			event: clients.Event{Old: outerPod(bound, ready, terminating), Object: outerPod(bound, ready, terminating, newerVersion, func(p *corev1.Pod) {
				for i := range p.Status.Conditions {
					p.Status.Conditions[i].Status = corev1.ConditionFalse
				}
			})},
			deleted: true,
			want:    true,
		},
		"PersistentVolumeClaim": {
			reason: "Observe reads no PersistentVolumeClaim.",
			event:  clients.Event{Object: &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "outer", Name: "np-var"}}},
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			np := &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: owner.Namespace, Name: owner.Name}}
			if tc.deleted {
				np.DeletionTimestamp = &now
				np.Finalizers = []string{"finalizer.managedresource.crossplane.io"}
			}
			var nodePods client.Reader = fake.NewClientBuilder().WithScheme(s).WithObjects(np).Build()
			got, wait := podEvents(nodePods)(tc.event, owner)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\npodEvents(...): pass: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantWait, wait); diff != "" {
				t.Errorf("%s\npodEvents(...): wait: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
