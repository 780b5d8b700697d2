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
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

var serviceOwner = Owner{Kind: "NodeService", Name: "ns", Namespace: "crossplane"}

// serviceLabels are the engine's labels on the endpoint of inner cluster "inner" owned by serviceOwner.
func serviceLabels() map[string]string {
	return map[string]string{
		LabelClusterName:    "inner",
		LabelManaged:        "true",
		LabelOwnerKind:      "NodeService",
		LabelOwnerName:      "ns",
		LabelOwnerNamespace: "crossplane",
	}
}

var controlPlaneSelector = map[string]string{LabelClusterName: "inner", LabelRole: RoleControlPlane}

func TestBuildService(t *testing.T) {
	cases := map[string]struct {
		reason string
		ep     Endpoint
		want   *corev1.Service
	}{
		"ClusterIPDefaults": {
			reason: "A bare forProvider should give a ClusterIP Service on 6443 selecting the cluster's control-plane Pods.",
			ep: Endpoint{
				Name: "inner-lb", Namespace: "outer", Owner: serviceOwner,
				Params: v1alpha1.NodeServiceParameters{ClusterName: "inner"},
			},
			want: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "inner-lb", Namespace: "outer", Labels: serviceLabels()},
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeClusterIP,
					Ports:    []corev1.ServicePort{{Name: "apiserver", Protocol: corev1.ProtocolTCP, Port: 6443, TargetPort: intstr.FromInt32(6443)}},
					Selector: controlPlaneSelector,
				},
			},
		},
		"NodePort": {
			reason: "A NodePort Service should expose the chosen port and ask for the fixed node port.",
			ep: Endpoint{
				Name: "inner-lb", Namespace: "outer", Owner: serviceOwner,
				Params: v1alpha1.NodeServiceParameters{ClusterName: "inner", Type: corev1.ServiceTypeNodePort, Port: 443, NodePort: ptr.To[int32](30443)},
			},
			want: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "inner-lb", Namespace: "outer", Labels: serviceLabels()},
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeNodePort,
					Ports:    []corev1.ServicePort{{Name: "apiserver", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(6443), NodePort: 30443}},
					Selector: controlPlaneSelector,
				},
			},
		},
		"LoadBalancer": {
			reason: "A LoadBalancer Service should carry its class and forProvider annotations, and forProvider labels except where they would overwrite ours.",
			ep: Endpoint{
				Name: "inner-lb", Namespace: "outer", Owner: serviceOwner,
				Params: v1alpha1.NodeServiceParameters{
					ClusterName:       "inner",
					Type:              corev1.ServiceTypeLoadBalancer,
					LoadBalancerClass: ptr.To("example.com/lb"),
					Labels:            map[string]string{"team": "a", LabelClusterName: "other", LabelOwnerKind: "Forged"},
					Annotations:       map[string]string{"lb.example.com/internal": "true"},
				},
			},
			want: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{
					Name: "inner-lb", Namespace: "outer",
					Labels: func() map[string]string {
						l := serviceLabels()
						l["team"] = "a"
						return l
					}(),
					Annotations: map[string]string{"lb.example.com/internal": "true"},
				},
				Spec: corev1.ServiceSpec{
					Type:              corev1.ServiceTypeLoadBalancer,
					Ports:             []corev1.ServicePort{{Name: "apiserver", Protocol: corev1.ProtocolTCP, Port: 6443, TargetPort: intstr.FromInt32(6443)}},
					Selector:          controlPlaneSelector,
					LoadBalancerClass: ptr.To("example.com/lb"),
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BuildService(tc.ep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nBuildService(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// serviceWith is an endpoint Service of the given type and cluster IP, on port 443, with the given ingress.
func serviceWith(typ corev1.ServiceType, clusterIP string, ingress ...corev1.LoadBalancerIngress) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "inner-lb", Namespace: "outer"},
		Spec: corev1.ServiceSpec{
			Type:      typ,
			ClusterIP: clusterIP,
			Ports:     []corev1.ServicePort{{Name: "apiserver", Port: 443, TargetPort: intstr.FromInt32(6443), NodePort: 30443}},
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ingress}},
	}
}

func TestEndpointAddress(t *testing.T) {
	type want struct {
		Host string
		Port int32
		OK   bool
	}
	cases := map[string]struct {
		reason string
		svc    *corev1.Service
		want   want
	}{
		"ClusterIP": {
			reason: "A ClusterIP Service is reached at its cluster IP and service port.",
			svc:    serviceWith(corev1.ServiceTypeClusterIP, "10.96.0.20"),
			want:   want{Host: "10.96.0.20", Port: 443, OK: true},
		},
		"NodePort": {
			reason: "A NodePort Service is reached at its cluster IP and service port too.",
			svc:    serviceWith(corev1.ServiceTypeNodePort, "10.96.0.20"),
			want:   want{Host: "10.96.0.20", Port: 443, OK: true},
		},
		"Headless": {
			reason: "A headless Service has no address to give.",
			svc:    serviceWith(corev1.ServiceTypeClusterIP, corev1.ClusterIPNone),
			want:   want{},
		},
		"NoClusterIPYet": {
			reason: "A Service the outer cluster has not given an IP yet has no address.",
			svc:    serviceWith(corev1.ServiceTypeClusterIP, ""),
			want:   want{},
		},
		"LoadBalancerIP": {
			reason: "A LoadBalancer Service is reached at the first ingress IP, even after a hostname.",
			svc: serviceWith(corev1.ServiceTypeLoadBalancer, "10.96.0.20",
				corev1.LoadBalancerIngress{Hostname: "lb.example.com"}, corev1.LoadBalancerIngress{IP: "203.0.113.7"}, corev1.LoadBalancerIngress{IP: "203.0.113.8"}),
			want: want{Host: "203.0.113.7", Port: 443, OK: true},
		},
		"LoadBalancerHostname": {
			reason: "A LoadBalancer Service with only hostnames is reached at the first one.",
			svc: serviceWith(corev1.ServiceTypeLoadBalancer, "10.96.0.20",
				corev1.LoadBalancerIngress{Hostname: "a.lb.example.com"}, corev1.LoadBalancerIngress{Hostname: "b.lb.example.com"}),
			want: want{Host: "a.lb.example.com", Port: 443, OK: true},
		},
		"LoadBalancerPending": {
			reason: "A LoadBalancer Service has no address until it has an ingress, whatever its cluster IP.",
			svc:    serviceWith(corev1.ServiceTypeLoadBalancer, "10.96.0.20"),
			want:   want{},
		},
		"ExternalName": {
			reason: "An ExternalName Service is not an endpoint the engine builds.",
			svc:    serviceWith(corev1.ServiceTypeExternalName, ""),
			want:   want{},
		},
		"NoPorts": {
			reason: "A Service without ports has no address to give.",
			svc:    &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.20"}},
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			host, port, ok := EndpointAddress(tc.svc)
			if diff := cmp.Diff(tc.want, want{Host: host, Port: port, OK: ok}); diff != "" {
				t.Errorf("\n%s\nEndpointAddress(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestObserveService(t *testing.T) {
	type args struct {
		svc *corev1.Service
	}
	cases := map[string]struct {
		reason string
		args   args
		want   v1alpha1.NodeServiceObservation
	}{
		"NodePort": {
			reason: "The observation should carry the Service's addresses, node port and endpoint.",
			args:   args{svc: serviceWith(corev1.ServiceTypeNodePort, "10.96.0.20")},
			want: v1alpha1.NodeServiceObservation{
				ServiceName: "inner-lb", ServiceNamespace: "outer", ClusterIP: "10.96.0.20", NodePort: 30443,
				Host: "10.96.0.20", Port: 443,
			},
		},
		"LoadBalancer": {
			reason: "The observation should list every ingress point and use the preferred one as endpoint.",
			args: args{svc: serviceWith(corev1.ServiceTypeLoadBalancer, "10.96.0.20",
				corev1.LoadBalancerIngress{Hostname: "lb.example.com"}, corev1.LoadBalancerIngress{IP: "203.0.113.7"})},
			want: v1alpha1.NodeServiceObservation{
				ServiceName: "inner-lb", ServiceNamespace: "outer", ClusterIP: "10.96.0.20", NodePort: 30443,
				Ingress: []v1alpha1.ServiceIngress{{Hostname: "lb.example.com"}, {IP: "203.0.113.7"}},
				Host:    "203.0.113.7", Port: 443,
			},
		},
		"LoadBalancerPending": {
			reason: "Without an address the observation should have no endpoint.",
			args:   args{svc: serviceWith(corev1.ServiceTypeLoadBalancer, "10.96.0.20")},
			want: v1alpha1.NodeServiceObservation{
				ServiceName: "inner-lb", ServiceNamespace: "outer", ClusterIP: "10.96.0.20", NodePort: 30443,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ObserveService(tc.args.svc)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nObserveService(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
