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
	"context"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// progressWait is how long a reconcile waits for more news of a node Pod on its way, such as being scheduled:
// a Pod often goes through several such steps within a moment, and each reconcile that sees one writes the
// NodePod's status.
const progressWait = time.Second

// podEvents passes the outer events that can change what a NodePod's reconcile does: a node Pod deleted, and
// a node Pod updated in a field Observe reads. The outer cluster writes a Pod's status many times on the way
// to Ready and again while it terminates, mostly in fields no NodePod shows; each of those would cost a
// reconcile. A Pod that was added is news to no NodePod: either its reconcile created it a moment ago or the
// Pod was there when the provider started, which reconciles every NodePod anyway. A NodePod being deleted
// waits for its Pod to be gone, and only one update of the Pod concerns it: the Pod's Ready turned False, which
// the outer cluster's node lifecycle controller does to the Pods of a Node it lost touch with, whose
// terminating Pod the NodePod then removes (removeFromLostNode). Other outer objects of a NodePod, its
// PersistentVolumeClaims, are not observed at all.
//
// The NodePod learns at once that its Pod turned ready or not, started or stopped its node container, is
// being deleted or is gone; other changes wait for progressWait, so that one reconcile sees a burst of them.
func podEvents(nodePods client.Reader) clients.Filter {
	return func(e clients.Event, owner types.NamespacedName) (bool, time.Duration) {
		pod, ok := e.Object.(*corev1.Pod)
		if !ok {
			return false, 0
		}
		if e.Deleted {
			return true, 0
		}
		prev, ok := e.Old.(*corev1.Pod)
		if !ok {
			return false, 0
		}
		was, is := observed(prev), observed(pod)
		notReady := kindnode.ReadyCondition(prev) && !kindnode.ReadyCondition(pod)
		if reflect.DeepEqual(was, is) && !notReady {
			return false, 0
		}
		np := &v1alpha1.NodePod{}
		if err := nodePods.Get(context.Background(), owner, np); err == nil && meta.WasDeleted(np) {
			return notReady, 0
		}
		if was.available != is.available || was.running != is.running || was.deleting != is.deleting {
			return true, 0
		}
		return true, progressWait
	}
}

// podView is what Observe and the bootstrap read of a node Pod.
type podView struct {
	labels      map[string]string
	annotations map[string]string
	deleting    bool
	observation v1alpha1.NodePodObservation
	available   bool
	reason      string
	message     string
	running     bool
}

func observed(p *corev1.Pod) podView {
	available, reason, message := kindnode.PodAvailability(p)
	return podView{
		labels:      p.GetLabels(),
		annotations: p.GetAnnotations(),
		deleting:    p.GetDeletionTimestamp() != nil,
		observation: kindnode.ObservePod(p),
		available:   available,
		reason:      reason,
		message:     message,
		running:     kindnode.NodeContainerRunning(p),
	}
}
