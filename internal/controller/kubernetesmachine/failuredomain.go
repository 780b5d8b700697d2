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
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

// failureDomainNodes returns the requirements on outer Nodes of kc's failure domain name, and whether kc has
// it: the nodeSelector of the failure domain of that name in spec.failureDomains when kc declares failure
// domains, else the zone of that name when kc discovered it in the outer cluster. No name asks for nothing.
func failureDomainNodes(kc *infrav1.KubernetesCluster, name string) ([]corev1.NodeSelectorRequirement, bool) {
	if name == "" {
		return nil, true
	}
	if len(kc.Spec.FailureDomains) > 0 {
		for _, fd := range kc.Spec.FailureDomains {
			if fd.Name == name {
				return nodeRequirements(fd.NodeSelector), true
			}
		}
		return nil, false
	}
	for _, fd := range kc.Status.FailureDomains {
		if fd.Name == name {
			return []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{name}}}, true
		}
	}
	return nil, false
}

// unknownFailureDomain says what a Machine waits for when it names a failure domain kc does not have.
func unknownFailureDomain(kc *infrav1.KubernetesCluster, machine, name string) string {
	var known []string
	if len(kc.Spec.FailureDomains) > 0 {
		for _, fd := range kc.Spec.FailureDomains {
			known = append(known, fd.Name)
		}
	} else {
		for _, fd := range kc.Status.FailureDomains {
			known = append(known, fd.Name)
		}
	}
	has := "has none"
	if len(known) > 0 {
		has = "has " + strings.Join(known, ", ")
	}
	return fmt.Sprintf("Machine %s asks for failure domain %q, which KubernetesCluster %s does not have (it %s); "+
		"no node Pod is made until it does: declare it in spec.failureDomains or label outer Nodes with %s=%s",
		machine, name, kc.Name, has, corev1.LabelTopologyZone, name)
}

// nodeRequirements are the node affinity requirements a NodeLabelSelector stands for: one In requirement per
// matchLabels entry, in the order of their keys so that the NodePod does not change from one reconcile to the
// next, then the matchExpressions, whose operators node affinity shares.
func nodeRequirements(s infrav1.NodeLabelSelector) []corev1.NodeSelectorRequirement {
	out := make([]corev1.NodeSelectorRequirement, 0, len(s.MatchLabels)+len(s.MatchExpressions))
	for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
		out = append(out, corev1.NodeSelectorRequirement{Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{string(s.MatchLabels[k])}})
	}
	for _, e := range s.MatchExpressions {
		r := corev1.NodeSelectorRequirement{Key: e.Key, Operator: corev1.NodeSelectorOperator(e.Operator)}
		for _, v := range e.Values {
			r.Values = append(r.Values, string(v))
		}
		out = append(out, r)
	}
	return out
}

// withRequiredNodes returns a copy of a that also requires the outer Node to meet reqs. The terms of a
// required node affinity are alternatives, so reqs join every one of a's: the node Pod goes to a Node that
// meets one of the user's terms and the failure domain. Everything else of a is kept.
func withRequiredNodes(a *corev1.Affinity, reqs []corev1.NodeSelectorRequirement) *corev1.Affinity {
	if len(reqs) == 0 {
		return a
	}
	out := &corev1.Affinity{}
	if a != nil {
		out = a.DeepCopy()
	}
	if out.NodeAffinity == nil {
		out.NodeAffinity = &corev1.NodeAffinity{}
	}
	required := out.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		out.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: deepCopies(reqs)}},
		}
		return out
	}
	for i := range required.NodeSelectorTerms {
		t := &required.NodeSelectorTerms[i]
		t.MatchExpressions = append(t.MatchExpressions, deepCopies(reqs)...)
	}
	return out
}

// deepCopies copies reqs with their values, so that no two terms share a slice.
func deepCopies(reqs []corev1.NodeSelectorRequirement) []corev1.NodeSelectorRequirement {
	out := make([]corev1.NodeSelectorRequirement, 0, len(reqs))
	for i := range reqs {
		out = append(out, *reqs[i].DeepCopy())
	}
	return out
}
