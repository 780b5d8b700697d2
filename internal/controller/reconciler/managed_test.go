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
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

const ours = "finalizer.managedresource.crossplane.io"

func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func podWithFinalizers(f ...string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Finalizers: f}}
}

func TestPatchingFinalizer(t *testing.T) {
	cases := map[string]struct {
		reason string
		stored []string // the finalizers the API server has
		read   []string // the finalizers of the object as read, maybe earlier
		add    bool
		want   []string
	}{
		"AddToNone": {
			reason: "Adding to an object without finalizers gives it ours.",
			add:    true,
			want:   []string{ours},
		},
		"AddToOthers": {
			reason: "Adding keeps the finalizers of others.",
			stored: []string{"other"},
			read:   []string{"other"},
			add:    true,
			want:   []string{"other", ours},
		},
		"RemoveOnly": {
			reason: "Removing our only finalizer leaves none.",
			stored: []string{ours},
			read:   []string{ours},
			want:   nil,
		},
		"RemoveKeepsOthers": {
			reason: "Removing keeps the finalizers of others.",
			stored: []string{"a", ours, "b"},
			read:   []string{"a", ours, "b"},
			want:   []string{"a", "b"},
		},
		"RemoveFromNewerObject": {
			reason: "Removing from an object read before another change succeeds without a conflict: only the finalizer entry is checked.",
			stored: []string{ours},
			read:   []string{ours},
			want:   nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := fakeClient(t, podWithFinalizers(tc.stored...))
			obj := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, obj); err != nil {
				t.Fatal(err)
			}
			if name == "RemoveFromNewerObject" {
				newer := obj.DeepCopy()
				newer.Labels = map[string]string{"changed": "since"}
				if err := c.Update(ctx, newer); err != nil {
					t.Fatal(err)
				}
			}
			f := NewPatchingFinalizer(c, ours)
			var err error
			if tc.add {
				err = f.AddFinalizer(ctx, obj)
			} else {
				err = f.RemoveFinalizer(ctx, obj)
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			got := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Finalizers); diff != "" {
				t.Errorf("%s\nstored finalizers: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestAddFinalizerKeepsObservedStatus adds the finalizer to an object whose status was changed in memory, as
// Observe changes a managed resource's before the managed reconciler adds its finalizer: the status stays for
// the status write to come, the finalizer and the resource version are the stored ones.
func TestAddFinalizerKeepsObservedStatus(t *testing.T) {
	ctx := context.Background()
	c := fakeClient(t, podWithFinalizers())
	obj := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, obj); err != nil {
		t.Fatal(err)
	}
	obj.Status.Message = "observed, not written yet"
	if err := NewPatchingFinalizer(c, ours).AddFinalizer(ctx, obj); err != nil {
		t.Fatal(err)
	}
	stored := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, stored); err != nil {
		t.Fatal(err)
	}
	if obj.Status.Message != "observed, not written yet" {
		t.Errorf("the status in memory became %q", obj.Status.Message)
	}
	if diff := cmp.Diff(stored.Finalizers, obj.Finalizers); diff != "" {
		t.Errorf("finalizers in memory: -stored, +got:\n%s", diff)
	}
	if obj.ResourceVersion != stored.ResourceVersion {
		t.Errorf("resource version in memory %s, stored %s", obj.ResourceVersion, stored.ResourceVersion)
	}
}

func TestPatchingCriticalAnnotationUpdater(t *testing.T) {
	cases := map[string]struct {
		reason       string
		externalName string
		want         map[string]string
	}{
		"OwnName": {
			reason:       "Nothing is written when the external name is the managed resource's name: nothing needs a create's outcome then.",
			externalName: "p",
			want:         map[string]string{"user": "kept"},
		},
		"OtherName": {
			reason:       "The critical annotations, and only those, are patched when the external name is another; changes since the object was read do not conflict.",
			externalName: "chosen-by-create",
			want: map[string]string{
				"user":                         "kept",
				meta.AnnotationKeyExternalName: "chosen-by-create",
				meta.AnnotationKeyExternalCreateSucceeded: "2026-01-02T03:04:05Z",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			stored := podWithFinalizers()
			stored.Annotations = map[string]string{"user": "kept"}
			c := fakeClient(t, stored)
			obj := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, obj); err != nil {
				t.Fatal(err)
			}
			newer := obj.DeepCopy()
			newer.Labels = map[string]string{"changed": "since"}
			if err := c.Update(ctx, newer); err != nil {
				t.Fatal(err)
			}
			meta.SetExternalName(obj, tc.externalName)
			obj.Annotations[meta.AnnotationKeyExternalCreateSucceeded] = "2026-01-02T03:04:05Z"
			obj.Annotations["not-critical"] = "not persisted"

			if err := NewPatchingCriticalAnnotationUpdater(c).UpdateCriticalAnnotations(ctx, obj); err != nil {
				t.Fatalf("%s\nUpdateCriticalAnnotations(...): %v", tc.reason, err)
			}
			got := &corev1.Pod{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "p"}, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Annotations); diff != "" {
				t.Errorf("%s\nstored annotations: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNameAsExternalName(t *testing.T) {
	cases := map[string]struct {
		reason string
		name   string
		want   string
	}{
		"Unset": {reason: "A managed resource without an external name gets its own name.", want: "np"},
		"Kept":  {reason: "An external name that is set stays.", name: "other", want: "other"},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			np := &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "np"}}
			if tc.name != "" {
				meta.SetExternalName(np, tc.name)
			}
			if err := (NameAsExternalName{}).Initialize(context.Background(), np); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, meta.GetExternalName(np)); diff != "" {
				t.Errorf("%s\nexternal name: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// observer is an external client whose Observe reports exists.
type observer struct {
	managed.TypedExternalClient[*v1alpha1.NodePod]
	exists bool
}

func (o observer) Observe(context.Context, *v1alpha1.NodePod) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: o.exists}, nil
}

func TestFinalizeOnCreate(t *testing.T) {
	cases := map[string]struct {
		reason  string
		exists  bool
		deleted bool
		want    []string
	}{
		"WillCreate": {
			reason: "A managed resource whose external resource does not exist gets the finalizer, for the pending-create write to persist.",
			want:   []string{ours},
		},
		"Exists": {
			reason: "A managed resource whose external resource exists is left to AddFinalizer.",
			exists: true,
		},
		"Deleted": {
			reason:  "A managed resource being deleted does not get the finalizer back.",
			deleted: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			np := &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "np"}}
			if tc.deleted {
				now := metav1.Now()
				np.DeletionTimestamp = &now
			}
			c := FinalizeOnCreate[*v1alpha1.NodePod](managed.TypedExternalConnectorFn[*v1alpha1.NodePod](
				func(context.Context, *v1alpha1.NodePod) (managed.TypedExternalClient[*v1alpha1.NodePod], error) {
					return observer{exists: tc.exists}, nil
				}), ours)
			ec, err := c.Connect(context.Background(), np)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ec.Observe(context.Background(), np); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, np.GetFinalizers()); diff != "" {
				t.Errorf("%s\nfinalizers: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
