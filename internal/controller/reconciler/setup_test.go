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

package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

// stubManager is the part of a manager that setting up a controller, without starting it, reads.
type stubManager struct {
	ctrl.Manager
	scheme *runtime.Scheme
	client client.Client
}

func (m stubManager) GetScheme() *runtime.Scheme { return m.scheme }
func (m stubManager) GetClient() client.Client   { return m.client }

func (m stubManager) GetEventRecorderFor(string) record.EventRecorder {
	return record.NewFakeRecorder(1)
}

func TestNewManagedController(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	mgr := stubManager{scheme: s, client: fake.NewClientBuilder().WithScheme(s).Build()}

	type want struct {
		name       string
		consistent bool
		err        bool
	}
	cases := map[string]struct {
		reason string
		gvk    schema.GroupVersionKind
		want   want
	}{
		"Kind": {
			reason: "A kind gets the managed reconciler's controller name, and its connector the client that waits for its own writes.",
			gvk:    v1alpha1.NodePodGroupVersionKind,
			want:   want{name: "managed/nodepod.kindnode.dev", consistent: true},
		},
		"UnknownKind": {
			reason: "A kind the scheme does not know cannot be watched.",
			gvk:    v1alpha1.SchemeGroupVersion.WithKind("NodeVolume"),
			want:   want{err: true},
		},
		"OtherKind": {
			reason: "A kind whose objects are not the connector's type is a set-up error, not a panic at the first reconcile.",
			gvk:    v1alpha1.NodeServiceGroupVersionKind,
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got want
			c, err := NewManagedController(mgr, controller.DefaultOptions(), tc.gvk, func(kube client.Client) managed.TypedExternalConnector[*v1alpha1.NodePod] {
				_, got.consistent = kube.(*clients.ConsistentClient)
				return nil
			})
			got.err = err != nil
			if c != nil {
				got.name = c.Name
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nNewManagedController(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
