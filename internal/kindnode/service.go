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
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Endpoint is what the engine needs to build an inner cluster's control-plane endpoint Service.
type Endpoint struct {
	// Name of the Service in the outer cluster.
	Name string
	// Namespace of the Service in the outer cluster; that of the cluster's node Pods.
	Namespace string
	// Owner is the managed resource the Service belongs to.
	Owner Owner
	// Params are the NodeService's forProvider.
	Params v1alpha1.NodeServiceParameters
}

// BuildService returns the Service that routes to the ready control-plane node Pods of e's inner cluster.
func BuildService(e Endpoint) *corev1.Service {
	// Copied so that a client decoding into the Service cannot write into the caller's forProvider.
	p := *e.Params.DeepCopy()
	typ := p.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	port := corev1.ServicePort{
		Name:       APIServerPortName,
		Protocol:   corev1.ProtocolTCP,
		Port:       p.Port,
		TargetPort: intstr.FromInt32(APIServerPort),
	}
	if port.Port == 0 {
		port.Port = APIServerPort
	}
	if p.NodePort != nil {
		port.NodePort = *p.NodePort
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:        e.Name,
			Namespace:   e.Namespace,
			Labels:      withOurs(p.Labels, commonLabels(p.ClusterName, e.Owner)),
			Annotations: maps.Clone(p.Annotations),
		},
		Spec: corev1.ServiceSpec{
			Type:              typ,
			Ports:             []corev1.ServicePort{port},
			Selector:          controlPlaneSelectorFor(p.ClusterName),
			LoadBalancerClass: p.LoadBalancerClass,
		},
	}
}

// EndpointAddress returns where clients reach the inner API server through svc. ok is false while the outer
// cluster has not given svc an address yet, and for Services without one (headless, ExternalName).
func EndpointAddress(svc *corev1.Service) (host string, port int32, ok bool) {
	sp, found := apiServerPort(svc)
	if !found {
		return "", 0, false
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, "":
		// A NodePort Service's node port is reachable on every outer node, but which node address clients can
		// reach is not the engine's to guess; the cluster IP works from inside the outer cluster.
		if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
			return ip, sp.Port, true
		}
	case corev1.ServiceTypeLoadBalancer:
		// Prefer an IP: a hostname may take a while to resolve after the load balancer is up.
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				return in.IP, sp.Port, true
			}
		}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.Hostname != "" {
				return in.Hostname, sp.Port, true
			}
		}
	}
	return "", 0, false
}

// ObserveService returns the observation of svc.
func ObserveService(svc *corev1.Service) v1alpha1.NodeServiceObservation {
	o := v1alpha1.NodeServiceObservation{
		ServiceName:      svc.Name,
		ServiceNamespace: svc.Namespace,
		ClusterIP:        svc.Spec.ClusterIP,
	}
	if sp, ok := apiServerPort(svc); ok {
		o.NodePort = sp.NodePort
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		o.Ingress = append(o.Ingress, v1alpha1.ServiceIngress{IP: in.IP, Hostname: in.Hostname})
	}
	if host, port, ok := EndpointAddress(svc); ok {
		o.Host, o.Port = host, port
	}
	return o
}

// apiServerPort is the Service port named for the API server, or the only port of a Service someone else
// shaped.
func apiServerPort(svc *corev1.Service) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if p.Name == APIServerPortName {
			return p, true
		}
	}
	if len(svc.Spec.Ports) == 1 {
		return svc.Spec.Ports[0], true
	}
	return corev1.ServicePort{}, false
}
