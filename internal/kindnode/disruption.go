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

package kindnode

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Quorum is the majority of n etcd members: as long as that many control-plane nodes run, etcd serves.
func Quorum(n int32) int32 {
	return n/2 + 1
}

// DisruptionBudgetName is the name of the PodDisruptionBudget next to the endpoint Service named service.
func DisruptionBudgetName(service string) string {
	return service + "-control-plane"
}

// BuildDisruptionBudget returns the PodDisruptionBudget that keeps eviction in the outer cluster from
// taking e's control-plane node Pods below forProvider's minAvailable, or below a quorum of
// controlPlaneNodes (how many the cluster should have) when forProvider leaves it unset. It is nil when
// forProvider disables it.
func BuildDisruptionBudget(e Endpoint, controlPlaneNodes int32) *policyv1.PodDisruptionBudget {
	minAvailable := Quorum(controlPlaneNodes)
	if b := e.Params.ControlPlaneDisruptionBudget; b != nil {
		if b.Enabled != nil && !*b.Enabled {
			return nil
		}
		if b.MinAvailable != nil {
			minAvailable = *b.MinAvailable
		}
	}
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{
			Name:      DisruptionBudgetName(e.Name),
			Namespace: e.Namespace,
			Labels:    commonLabels(e.Params.ClusterName, e.Owner),
		},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(minAvailable)),
			Selector:     &metav1.LabelSelector{MatchLabels: controlPlaneSelectorFor(e.Params.ClusterName)},
			// A control-plane Pod that is not ready serves no API requests and may not be a healthy etcd
			// member either; evicting it cannot lower quorum further, and refusing would leave a broken Pod
			// blocking the drain that might move it somewhere it can recover.
			UnhealthyPodEvictionPolicy: ptr.To(policyv1.AlwaysAllow),
		},
	}
}

// controlPlaneSelectorFor matches the control-plane node Pods of an inner cluster: the endpoint Service
// routes to them and the disruption budget guards them.
func controlPlaneSelectorFor(cluster string) map[string]string {
	return nodePodsOf(cluster, RoleControlPlane)
}

// nodePodsOf matches the node Pods of an inner cluster with a role (a LabelRole value), by the labels the
// engine sets on them. Each call returns a map of its own.
func nodePodsOf(cluster, role string) map[string]string {
	return map[string]string{LabelClusterName: cluster, LabelRole: role}
}
