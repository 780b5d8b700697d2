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
	"strings"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// Annotations the outer cluster writes on a PersistentVolumeClaim.
const (
	// annStorageProvisioner names the provisioner the PersistentVolume controller handed the claim to.
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// annBetaStorageClass is how claims named their StorageClass before spec.storageClassName.
	annBetaStorageClass = "volume.beta.kubernetes.io/storage-class"
)

// waitingClaims says which of the node's PersistentVolumeClaims keep its unscheduled Pod from being
// scheduled, and why; "" when none does, or the Pod is past scheduling. The claims come from the outer
// cluster's informer cache: a claim that cannot be read there is left out.
func (e *external) waitingClaims(ctx context.Context, n kindnode.Node, pod *corev1.Pod) string {
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodPending {
		return ""
	}
	var claims []claim
	for _, want := range kindnode.BuildPVCs(n) {
		pvc := &corev1.PersistentVolumeClaim{}
		err := e.outer.Client.Get(ctx, client.ObjectKeyFromObject(want), pvc)
		switch {
		case kerrors.IsNotFound(err):
			pvc = nil
		case err != nil:
			continue
		}
		claims = append(claims, claim{name: want.Namespace + "/" + want.Name, pvc: pvc})
	}
	scheduler := ""
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			scheduler = c.Message
		}
	}
	return waitingFor(claims, scheduler)
}

// A claim is a PersistentVolumeClaim of a node by its namespace and name, nil when it does not exist.
type claim struct {
	name string
	pvc  *corev1.PersistentVolumeClaim
}

// waitingFor says which of claims keep the node Pod from being scheduled, and why, claims that wait for the
// same together, and what the scheduler says of the Pod; "" when no claim keeps it.
func waitingFor(claims []claim, scheduler string) string {
	type wait struct{ state, why string }
	var order []wait
	names := map[wait][]string{}
	for _, c := range claims {
		state, why := claimWait(c.pvc)
		if state == "" {
			continue
		}
		w := wait{state, why}
		if _, ok := names[w]; !ok {
			order = append(order, w)
		}
		names[w] = append(names[w], c.name)
	}
	if len(order) == 0 {
		return ""
	}
	parts := make([]string, 0, len(order))
	for _, w := range order {
		n := names[w]
		part := fmt.Sprintf("PersistentVolumeClaim %s %s", n[0], w.state)
		if len(n) > 1 {
			part = fmt.Sprintf("PersistentVolumeClaims %s %s", strings.Join(n, ", "), plural[w.state])
		}
		if w.why != "" {
			part += ": " + w.why
		}
		parts = append(parts, part)
	}
	msg := "the node Pod cannot be scheduled before its PersistentVolumeClaims are bound: " + strings.Join(parts, "; ")
	if scheduler != "" {
		msg += " (the scheduler says: " + scheduler + ")"
	}
	return msg
}

// States of a claim the node Pod waits for, and the same of several.
const (
	claimMissing = "does not exist"
	claimLost    = "is Lost"
	claimPending = "is Pending"
)

var plural = map[string]string{claimMissing: "do not exist", claimLost: "are Lost", claimPending: "are Pending"}

// claimWait says whether the node Pod waits for the claim pvc (nil when it does not exist), and why; state is
// "" when the claim is bound. A claim does not say why it is Pending: the outer cluster's PersistentVolume
// controller tells it in events only. What the claim asks for tells most of it.
func claimWait(pvc *corev1.PersistentVolumeClaim) (state, why string) {
	if pvc == nil {
		return claimMissing, ""
	}
	switch pvc.Status.Phase {
	case corev1.ClaimBound:
		return "", ""
	case corev1.ClaimLost:
		return claimLost, fmt.Sprintf("PersistentVolume %s is gone", pvc.Spec.VolumeName)
	}
	class := pvc.Spec.StorageClassName
	if c, ok := pvc.Annotations[annBetaStorageClass]; ok && class == nil {
		class = &c
	}
	provisioner := pvc.Annotations[annStorageProvisioner]
	if provisioner == "" {
		provisioner = pvc.Annotations[annBetaStorageProvisioner]
	}
	switch {
	case pvc.Spec.VolumeName != "":
		return claimPending, fmt.Sprintf("waiting to be bound to PersistentVolume %s", pvc.Spec.VolumeName)
	case class == nil:
		return claimPending, "no StorageClass is named and the outer cluster has no default StorageClass; " +
			"set storageClassName in spec.forProvider.persistence, or make a StorageClass of the outer cluster its default"
	case *class == "":
		return claimPending, `storageClassName "" binds only a PersistentVolume made beforehand, and none matches`
	case provisioner != "":
		return claimPending, fmt.Sprintf("waiting for %s, the provisioner of StorageClass %q, to provision a volume", provisioner, *class)
	default:
		return claimPending, fmt.Sprintf("no volume is provisioned yet; StorageClass %q must exist in the outer cluster, and its provisioner must run", *class)
	}
}
