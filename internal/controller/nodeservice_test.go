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

package controller_test

import (
	"context"
	"fmt"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

func newNodeService(ns, name string, mutate ...func(*v1alpha1.NodeService)) *v1alpha1.NodeService {
	s := &v1alpha1.NodeService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.NodeServiceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "default"},
			},
			ForProvider: v1alpha1.NodeServiceParameters{ClusterName: "inner"},
		},
	}
	for _, fn := range mutate {
		fn(s)
	}
	return s
}

func getNodeService(t *testing.T, ns, name string) *v1alpha1.NodeService {
	t.Helper()
	s := &v1alpha1.NodeService{}
	if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func getService(ns, name string) (*corev1.Service, error) {
	s := &corev1.Service{}
	err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s)
	return s, err
}

func TestNodeServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodeService(ns, "inner-lb", func(s *v1alpha1.NodeService) {
		s.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "inner-endpoint"}
	})); err != nil {
		t.Fatal(err)
	}

	var svc *corev1.Service
	waitFor(t, "the endpoint Service", func() (err error) { svc, err = getService(ns, "inner-lb"); return err })
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("default type: got %s, want ClusterIP", svc.Spec.Type)
	}
	if got, want := svc.Spec.Selector, map[string]string{kindnode.LabelClusterName: "inner", kindnode.LabelRole: kindnode.RoleControlPlane}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("selector: got %v, want %v", got, want)
	}

	t.Run("ReadyWithTheClusterIPEndpoint", func(t *testing.T) {
		waitFor(t, "Ready=True and the endpoint", func() error {
			s := getNodeService(t, ns, "inner-lb")
			if c := condition(s.Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
			}
			if s.Status.AtProvider.Host != svc.Spec.ClusterIP || s.Status.AtProvider.Port != 6443 {
				return fmt.Errorf("endpoint %s:%d, want %s:6443", s.Status.AtProvider.Host, s.Status.AtProvider.Port, svc.Spec.ClusterIP)
			}
			return nil
		})
		waitFor(t, "the connection Secret", func() error {
			sec := &corev1.Secret{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "inner-endpoint"}, sec); err != nil {
				return err
			}
			if string(sec.Data["endpoint"]) != svc.Spec.ClusterIP || string(sec.Data["port"]) != "6443" {
				return fmt.Errorf("connection details %q:%q", sec.Data["endpoint"], sec.Data["port"])
			}
			return nil
		})
	})

	t.Run("LoadBalancerWaitsForAnIngressHostname", func(t *testing.T) {
		waitFor(t, "type LoadBalancer", func() error {
			s := getNodeService(t, ns, "inner-lb")
			s.Spec.ForProvider.Type = corev1.ServiceTypeLoadBalancer
			return kube.Update(ctx, s)
		})
		waitFor(t, "the Service to become a LoadBalancer and Ready=False", func() error {
			if svc, err := getService(ns, "inner-lb"); err != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
				return fmt.Errorf("service: %v", err)
			}
			if c := condition(getNodeService(t, ns, "inner-lb").Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionFalse {
				return fmt.Errorf("Ready is %s", c.Status)
			}
			return nil
		})
		// What a cloud load balancer controller would do.
		svc, err := getService(ns, "inner-lb")
		if err != nil {
			t.Fatal(err)
		}
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb.example.org"}}
		if err := kube.Status().Update(ctx, svc); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the hostname endpoint", func() error {
			s := getNodeService(t, ns, "inner-lb")
			if c := condition(s.Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
			}
			if s.Status.AtProvider.Host != "lb.example.org" {
				return fmt.Errorf("host %q", s.Status.AtProvider.Host)
			}
			return nil
		})
	})

	t.Run("DeletingTheNodeServiceDeletesTheService", func(t *testing.T) {
		if err := kube.Delete(ctx, getNodeService(t, ns, "inner-lb")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "Service and NodeService to be gone", func() error {
			if _, err := getService(ns, "inner-lb"); !kerrors.IsNotFound(err) {
				return fmt.Errorf("service: %v", err)
			}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "inner-lb"}, &v1alpha1.NodeService{}); !kerrors.IsNotFound(err) {
				return fmt.Errorf("NodeService: %v", err)
			}
			return nil
		})
	})
}
