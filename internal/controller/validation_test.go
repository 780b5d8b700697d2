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
	"strings"
	"testing"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// The API server itself must turn bad specs away, with a message that says what is wrong.
func TestInvalidSpecsAreRejected(t *testing.T) {
	ns := newNamespace(t)
	cases := map[string]struct {
		reason string
		obj    client.Object
		want   string
	}{
		"NoImageNorVersion": {
			reason: "A node needs an image, given directly or through a Kubernetes version.",
			obj:    newNodePod(ns, "a", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.KubernetesVersion = "" }),
			want:   "one of kubernetesVersion or image is required",
		},
		"BadVersion": {
			reason: "Versions look like v1.37.2.",
			obj:    newNodePod(ns, "b", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.KubernetesVersion = "1.37" }),
			want:   "spec.forProvider.kubernetesVersion",
		},
		"NoClusterName": {
			reason: "A node belongs to a cluster.",
			obj:    newNodePod(ns, "c", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.ClusterName = "" }),
			want:   "spec.forProvider.clusterName",
		},
		"BadRole": {
			reason: "Roles are ControlPlane or Worker.",
			obj:    newNodePod(ns, "d", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.Role = "Master" }),
			want:   `supported values: "ControlPlane", "Worker"`,
		},
		"EtcdOnWorker": {
			reason: "Only control-plane nodes run etcd.",
			obj: newNodePod(ns, "e", func(np *v1alpha1.NodePod) {
				np.Spec.ForProvider.Persistence = &v1alpha1.Persistence{Etcd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")}}
			}),
			want: "persistence.etcd is only valid for role ControlPlane",
		},
		"NodePortOnClusterIP": {
			reason: "A ClusterIP Service has no node port.",
			obj:    newNodeService(ns, "f", func(s *v1alpha1.NodeService) { s.Spec.ForProvider.NodePort = ptr.To[int32](30443) }),
			want:   "nodePort needs type NodePort or LoadBalancer",
		},
		"BadServiceType": {
			reason: "Only the three Service types that can carry an endpoint.",
			obj:    newNodeService(ns, "g", func(s *v1alpha1.NodeService) { s.Spec.ForProvider.Type = "ExternalName" }),
			want:   "spec.forProvider.type",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := kube.Create(context.Background(), tc.obj)
			if err == nil {
				t.Fatalf("%s\nthe API server accepted it", tc.reason)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s\nerror %q does not contain %q", tc.reason, err.Error(), tc.want)
			}
		})
	}
}

func TestClusterNameIsImmutable(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	np := newNodePod(ns, "immutable")
	if err := kube.Create(ctx, np); err != nil {
		t.Fatal(err)
	}
	var err error
	for {
		cur := getNodePod(t, ns, "immutable")
		cur.Spec.ForProvider.ClusterName = "other"
		if err = kube.Update(ctx, cur); !kerrors.IsConflict(err) {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "clusterName is immutable") {
		t.Fatalf("want an immutability error, got %v", err)
	}
}
