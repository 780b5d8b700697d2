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
	"fmt"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// observeGone is the observation of a NodePod whose Pod does not exist: not yet created, or lost. A Pod was
// lost when one was observed before (status.atProvider.podUID) and the NodePod is not being deleted; under
// podLossPolicy Report it stays lost, and reporting it as existing keeps the managed reconciler from creating
// a new one.
func observeGone(cr *v1alpha1.NodePod, n kindnode.Node) managed.ExternalObservation {
	uid := cr.Status.AtProvider.PodUID
	if meta.WasDeleted(cr) || cr.Spec.ForProvider.PodLossPolicy != v1alpha1.PodLossPolicyReport || uid == "" {
		return managed.ExternalObservation{ResourceExists: false}
	}
	cr.Status.SetConditions(xpv2.Condition{
		Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonPodLost, LastTransitionTime: metav1.Now(),
		Message: fmt.Sprintf("the node Pod %s/%s (uid %s) is gone and podLossPolicy is Report, so no new Pod is created; "+
			"delete this NodePod to replace the node (Cluster API's MachineHealthCheck does that for a Machine)", n.Namespace, n.Name, uid),
	})
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
}
