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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// spreadWeight is the weight of the default preference for an outer node without another node Pod of the same
// cluster and role: the highest there is, since losing one outer node should cost an inner cluster as few of
// its nodes as possible, etcd members above all.
const spreadWeight = 100

// clusterSpreadWeight is the weight of the default preference for an outer node without any other node Pod of
// the same cluster: lower, since nodes of one role matter more to each other (a quorum, a workload's
// replicas), but enough that a control plane and its worker do not share an outer node when there are others.
const clusterSpreadWeight = 50

// spreadByDefault gives spec what the engine adds to every node Pod's scheduling unless forProvider says
// otherwise, per concern:
//
//   - Hosts: a preferred pod anti-affinity on kubernetes.io/hostname against the node Pods of the same cluster
//     and role, so that control-plane nodes, and workers, prefer different outer nodes, and a weaker one
//     against every node Pod of the cluster, so that the roles keep apart too. A podAntiAffinity of
//     forProvider's, even an empty one, replaces it; forProvider's nodeAffinity and podAffinity are kept
//     next to it.
//   - Zones: a topology spread constraint over topology.kubernetes.io/zone with maxSkew 1 and ScheduleAnyway,
//     over the same Pods. Any topologySpreadConstraints of forProvider's replace it.
//
// Both are preferences: a cluster with more nodes than outer nodes or zones still schedules. The Pods are
// found by the labels the engine sets on them (LabelClusterName, LabelRole), in the Pod's own namespace.
func spreadByDefault(spec *corev1.PodSpec, cluster, role string) {
	if spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
		a := &corev1.Affinity{}
		if spec.Affinity != nil {
			a = spec.Affinity.DeepCopy()
		}
		a.PodAntiAffinity = &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: spreadWeight,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: sameClusterAndRole(cluster, role),
					TopologyKey:   corev1.LabelHostname,
				},
			}, {
				Weight: clusterSpreadWeight,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelClusterName: cluster}},
					TopologyKey:   corev1.LabelHostname,
				},
			}},
		}
		spec.Affinity = a
	}
	if len(spec.TopologySpreadConstraints) == 0 {
		spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew:           1,
			TopologyKey:       corev1.LabelTopologyZone,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     sameClusterAndRole(cluster, role),
		}}
	}
}

// sameClusterAndRole selects the node Pods of a cluster with a role. Each caller gets a selector of its own,
// so that nothing that changes one Pod field changes another.
func sameClusterAndRole(cluster, role string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: nodePodsOf(cluster, role)}
}
