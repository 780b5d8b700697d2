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
package nodeservice

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestSpecUpToDate(t *testing.T) {
	svc := func(typ corev1.ServiceType, nodePort int32, mods ...func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: map[string]string{"role": "control-plane"},
			Ports:    []corev1.ServicePort{{Name: "https", Port: 6443, NodePort: nodePort}},
		}}
		for _, m := range mods {
			m(s)
		}
		return s
	}
	// What the outer cluster fills in on a Service the provider created.
	allocated := func(s *corev1.Service) {
		s.Spec.ClusterIP = "10.96.0.10"
		s.Spec.ClusterIPs = []string{"10.96.0.10"}
		s.Spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	cases := map[string]struct {
		reason   string
		current  *corev1.Service
		want     *corev1.Service
		upToDate bool
		// applied is current after applySpec(current, want).
		applied *corev1.Service
	}{
		"FilledInByTheOuterCluster": {
			reason:   "Fields the outer cluster fills in (the ClusterIP, session affinity) are not the provider's to compare or change.",
			current:  svc(corev1.ServiceTypeClusterIP, 0, allocated),
			want:     svc(corev1.ServiceTypeClusterIP, 0),
			upToDate: true,
			applied:  svc(corev1.ServiceTypeClusterIP, 0, allocated),
		},
		"AllocatedNodePortKept": {
			reason:   "A node port the outer cluster allocated stays, when forProvider asks for none.",
			current:  svc(corev1.ServiceTypeNodePort, 31234, allocated),
			want:     svc(corev1.ServiceTypeNodePort, 0),
			upToDate: true,
			applied:  svc(corev1.ServiceTypeNodePort, 31234, allocated),
		},
		"FixedNodePort": {
			reason:  "A node port forProvider fixes replaces the allocated one.",
			current: svc(corev1.ServiceTypeNodePort, 31234, allocated),
			want:    svc(corev1.ServiceTypeNodePort, 30443),
			applied: svc(corev1.ServiceTypeNodePort, 30443, allocated),
		},
		"SelectorChanged": {
			reason:  "The selector is the provider's: a different one is put back.",
			current: svc(corev1.ServiceTypeClusterIP, 0, allocated, func(s *corev1.Service) { s.Spec.Selector = map[string]string{"role": "other"} }),
			want:    svc(corev1.ServiceTypeClusterIP, 0),
			applied: svc(corev1.ServiceTypeClusterIP, 0, allocated),
		},
		"LoadBalancerClass": {
			reason:  "A load balancer class forProvider names is set; none named leaves the outer cluster's.",
			current: svc(corev1.ServiceTypeLoadBalancer, 31234, allocated),
			want:    svc(corev1.ServiceTypeLoadBalancer, 0, func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/lb") }),
			applied: svc(corev1.ServiceTypeLoadBalancer, 31234, allocated, func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/lb") }),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.upToDate, specUpToDate(tc.current, tc.want)); diff != "" {
				t.Errorf("\n%s\nspecUpToDate(...): -want, +got:\n%s", tc.reason, diff)
			}
			got := tc.current.DeepCopy()
			applySpec(got, tc.want)
			if diff := cmp.Diff(tc.applied, got); diff != "" {
				t.Errorf("\n%s\napplySpec(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
