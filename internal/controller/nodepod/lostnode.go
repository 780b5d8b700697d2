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
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

const (
	errGetNode      = "cannot get the outer Node of the terminating node Pod"
	errForceDelete  = "cannot remove the node Pod of lost outer Node %s"
	forceDeletedMsg = "outer Node %s is %s and its kubelet cannot finish the node Pod's termination, so the provider removed the Pod object"
)

// lostNode says why the outer Node of a terminating Pod will not finish its termination, or "" when it may:
// the Node is gone, the outer cluster lost touch with its kubelet (Ready Unknown, the node lifecycle
// controller's unreachable taint), or an administrator marked it out of service.
func lostNode(n *corev1.Node) string {
	if n == nil {
		return "gone"
	}
	for _, t := range n.Spec.Taints {
		switch t.Key {
		case corev1.TaintNodeOutOfService:
			return "out of service"
		case corev1.TaintNodeUnreachable:
			return "unreachable"
		}
	}
	if clients.NodeReady(n) == corev1.ConditionUnknown {
		return "unreachable"
	}
	return ""
}

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get
// +kubebuilder:rbac:groups="",resources=pods,verbs=delete

// removeFromLostNode removes the terminating Pod pod once its grace period is over when its outer Node is
// lost, and says why it did ("" when it did not). Nothing else would: only the kubelet confirms that a Pod's
// containers stopped, and the Pod of a lost Node stays Terminating until the Node comes back, which may be
// never; its Machine's deletion, and Cluster API's replacement of it, would wait as long. Kubernetes' own
// answer is the same for an out-of-service Node (its Pod garbage collector). The NodePod is being deleted and
// its node left the inner cluster, so nothing takes the Pod's place under its name; a kubelet that comes back
// stops the containers of a Pod that no longer exists. The Node is read from the API server, not watched.
func (e *external) removeFromLostNode(ctx context.Context, pod *corev1.Pod, now time.Time) (string, error) {
	if pod == nil || pod.DeletionTimestamp == nil || now.Before(pod.DeletionTimestamp.Time) || pod.Spec.NodeName == "" {
		return "", nil
	}
	node := &corev1.Node{}
	err := e.outer.Client.Get(ctx, types.NamespacedName{Name: pod.Spec.NodeName}, node)
	switch {
	case kerrors.IsNotFound(err):
		node = nil
	case kerrors.IsForbidden(err):
		// Credentials that may not read Nodes leave the Pod to the outer cluster's administrator.
		return "", nil
	case err != nil:
		return "", errors.Wrap(err, errGetNode)
	}
	why := lostNode(node)
	if why == "" {
		return "", nil
	}
	err = e.outer.Client.Delete(ctx, pod, client.GracePeriodSeconds(0), client.Preconditions{UID: ptr.To(pod.UID)})
	if err := resource.Ignore(kerrors.IsNotFound, err); err != nil {
		return "", errors.Wrapf(err, errForceDelete, pod.Spec.NodeName)
	}
	return fmt.Sprintf(forceDeletedMsg, pod.Spec.NodeName, why), nil
}
