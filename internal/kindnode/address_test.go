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

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func TestPersistentIdentity(t *testing.T) {
	etcd := &v1alpha1.Persistence{Etcd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")}}
	containerd := &v1alpha1.Persistence{Containerd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")}}
	cases := map[string]struct {
		params v1alpha1.NodePodParameters
		want   bool
	}{
		"ControlPlaneWithEtcdClaim":       {params: v1alpha1.NodePodParameters{Role: v1alpha1.NodeRoleControlPlane, Persistence: etcd}, want: true},
		"ControlPlaneWithContainerdClaim": {params: v1alpha1.NodePodParameters{Role: v1alpha1.NodeRoleControlPlane, Persistence: containerd}, want: false},
		"ControlPlaneWithoutClaims":       {params: v1alpha1.NodePodParameters{Role: v1alpha1.NodeRoleControlPlane}, want: false},
		"Worker":                          {params: v1alpha1.NodePodParameters{Role: v1alpha1.NodeRoleWorker, Persistence: etcd}, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PersistentIdentity(tc.params)); diff != "" {
				t.Errorf("PersistentIdentity() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildAddressService(t *testing.T) {
	port := func(name string, p int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: p, TargetPort: intstr.FromInt32(p)}
	}
	params := v1alpha1.NodePodParameters{ClusterName: "inner", Role: v1alpha1.NodeRoleControlPlane}
	cases := map[string]struct {
		reason string
		node   Node
		want   *corev1.Service
		err    error
	}{
		"SelectsItsPodReadyOrNot": {
			reason: "The Service should select the node's own Pod, ready or not, on the API server and etcd ports.",
			node:   Node{Name: "cp-0", Namespace: "outer", Owner: testOwner, Params: params},
			want: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "cp-0", Namespace: "outer", Labels: controlPlaneLabels()},
				Spec: corev1.ServiceSpec{
					Type:                     corev1.ServiceTypeClusterIP,
					Selector:                 map[string]string{LabelOwnerKind: "NodePod", LabelOwnerName: "np", LabelOwnerNamespace: "crossplane"},
					PublishNotReadyAddresses: true,
					Ports:                    []corev1.ServicePort{port("apiserver", 6443), port("etcd-client", 2379), port("etcd-peer", 2380)},
				},
			},
		},
		"NameIsNoServiceName": {
			reason: "A Pod name a Service cannot have should be refused with the reason.",
			node:   Node{Name: "0-cp", Namespace: "outer", Owner: testOwner, Params: params},
			err:    errors.New(`node "0-cp" cannot have an address Service of the same name: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := BuildAddressService(tc.node)
			if diff := cmp.Diff(tc.err, err, test.EquateErrors()); diff != "" {
				t.Fatalf("%s\nBuildAddressService() error (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nBuildAddressService() (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
