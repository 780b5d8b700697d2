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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestWaitingForAddress(t *testing.T) {
	svc := func(typ corev1.ServiceType, class *string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "inner-lb"},
			Spec:       corev1.ServiceSpec{Type: typ, LoadBalancerClass: class},
		}
	}
	cases := map[string]struct {
		reason string
		svc    *corev1.Service
		want   string
	}{
		"ClusterIP": {
			reason: "A Service the outer cluster gives a cluster IP waits for the outer cluster.",
			svc:    svc(corev1.ServiceTypeClusterIP, nil),
			want:   "waiting for the outer cluster to give Service ns/inner-lb an address",
		},
		"LoadBalancer": {
			reason: "A LoadBalancer Service waits for a load-balancer controller, which the outer cluster may not run.",
			svc:    svc(corev1.ServiceTypeLoadBalancer, nil),
			want: "waiting for a load balancer to give LoadBalancer Service ns/inner-lb an address (its status.loadBalancer.ingress is empty): " +
				"the outer cluster must run a load-balancer controller (a cloud provider's, MetalLB, kube-vip, cloud-provider-kind); " +
				"without one, set spec.forProvider.type to ClusterIP or NodePort",
		},
		"LoadBalancerClass": {
			reason: "A LoadBalancer Service of a class waits for that class's controller.",
			svc:    svc(corev1.ServiceTypeLoadBalancer, ptr.To("example.com/internal-vip")),
			want: "waiting for a load balancer to give LoadBalancer Service ns/inner-lb an address (its status.loadBalancer.ingress is empty): " +
				`the outer cluster must run the load-balancer controller of loadBalancerClass "example.com/internal-vip"; ` +
				"without one, set spec.forProvider.type to ClusterIP or NodePort",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, waitingForAddress(tc.svc)); diff != "" {
				t.Errorf("%s\nwaitingForAddress(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
