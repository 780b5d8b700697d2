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
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Ports of a control-plane node that its peers and the inner cluster reach through its address Service.
const (
	EtcdClientPort = int32(2379)
	EtcdPeerPort   = int32(2380)
)

const errFmtAddressName = "node %q cannot have an address Service of the same name: %s"

// PersistentIdentity reports whether a node keeps its identity when its Pod is recreated: a control-plane
// node whose etcd is on a claim. Such a node also keeps /etc/kubernetes, /var/lib/kubelet and its bootstrap
// record on that claim, and advertises the ClusterIP of its own address Service (BuildAddressService)
// instead of its Pod IP: etcd's member list and the API server's endpoints hold the advertised address, and
// a recreated Pod gets a new IP.
func PersistentIdentity(p v1alpha1.NodePodParameters) bool {
	return p.Role == v1alpha1.NodeRoleControlPlane && p.Persistence != nil && p.Persistence.Etcd != nil
}

// AddressServiceName is the name of the address Service of the node Pod named pod: the Pod's own name.
func AddressServiceName(pod string) string {
	return pod
}

// BuildAddressService returns the Service whose ClusterIP is n's stable address. It selects n's Pod whether
// or not it is ready: a joining etcd member must reach its peers, and itself, before its API server answers.
func BuildAddressService(n Node) (*corev1.Service, error) {
	name := AddressServiceName(n.Name)
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return nil, errors.Errorf(errFmtAddressName, n.Name, strings.Join(errs, "; "))
	}
	port := func(name string, p int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: p, TargetPort: intstr.FromInt32(p)}
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: n.Namespace,
			Labels:    nodeLabels(n),
		},
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeClusterIP,
			Selector:                 OwnerLabels(n.Owner),
			PublishNotReadyAddresses: true,
			Ports: []corev1.ServicePort{
				port(APIServerPortName, APIServerPort),
				port("etcd-client", EtcdClientPort),
				port("etcd-peer", EtcdPeerPort),
			},
		},
	}, nil
}
