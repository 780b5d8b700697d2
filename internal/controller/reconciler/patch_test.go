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
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

func machine(mutate ...func(*infrav1.KubernetesMachine)) *infrav1.KubernetesMachine {
	km := &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "km", Generation: 1, Finalizers: []string{"f"}}}
	for _, fn := range mutate {
		fn(km)
	}
	return km
}

func ready(km *infrav1.KubernetesMachine) {
	km.Status.Conditions = []metav1.Condition{{Type: clusterv1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready", ObservedGeneration: km.Generation, LastTransitionTime: metav1.Unix(1, 0)}}
	km.Status.Initialization.Provisioned = ptr.To(true)
}

func TestPatchChanges(t *testing.T) {
	type want struct {
		sent   []string // the requests, in order
		stored *infrav1.KubernetesMachine
		err    func(error) bool
	}
	cases := map[string]struct {
		reason string
		// change is what a reconcile did to the object it read.
		change func(*infrav1.KubernetesMachine)
		// meanwhile is what someone else wrote after the reconcile read the object.
		meanwhile func(*infrav1.KubernetesMachine)
		want      want
	}{
		"NothingChanged": {
			reason: "A reconcile that changed nothing writes nothing.",
			change: func(*infrav1.KubernetesMachine) {},
			want:   want{stored: machine()},
		},
		"StatusChanged": {
			reason: "Conditions and the rest of the status go in one write.",
			change: ready,
			want:   want{sent: []string{"status"}, stored: machine(ready)},
		},
		"SpecAndStatusChanged": {
			reason: "The spec goes first, and the conditions record the generation it made.",
			change: func(km *infrav1.KubernetesMachine) {
				km.Spec.ProviderID = "kubernetes://ns/km"
				ready(km)
			},
			want: want{sent: []string{"patch", "status"}, stored: machine(func(km *infrav1.KubernetesMachine) {
				km.Spec.ProviderID = "kubernetes://ns/km"
				ready(km)
				km.Status.Conditions[0].ObservedGeneration = 2
			})},
		},
		"WrittenMeanwhile": {
			reason: "A status based on an object someone else wrote since is refused, not merged over theirs.",
			change: ready,
			meanwhile: func(km *infrav1.KubernetesMachine) {
				km.Status.FailureDomain = "theirs"
			},
			want: want{sent: []string{"status"}, err: kerrors.IsConflict, stored: machine(func(km *infrav1.KubernetesMachine) {
				km.Status.FailureDomain = "theirs"
			})},
		},
		"GoneMeanwhile": {
			reason: "A deleted object whose last finalizer someone else removed since has no status left to write.",
			change: ready,
			meanwhile: func(km *infrav1.KubernetesMachine) {
				km.DeletionTimestamp = ptr.To(metav1.Now())
				km.Finalizers = nil
			},
			want: want{sent: []string{"status"}},
		},
		"LastFinalizerRemoved": {
			reason: "Once the last finalizer of a deleted object is gone, so is the object: its status is not written.",
			change: func(km *infrav1.KubernetesMachine) {
				km.Finalizers = nil
				ready(km)
			},
			meanwhile: func(km *infrav1.KubernetesMachine) {
				km.DeletionTimestamp = ptr.To(metav1.Now())
			},
			want: want{sent: []string{"patch"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := runtime.NewScheme()
			if err := infrav1.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			var sent []string
			c := fake.NewClientBuilder().WithScheme(s).WithObjects(machine()).WithStatusSubresource(&infrav1.KubernetesMachine{}).
				WithInterceptorFuncs(interceptor.Funcs{
					Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
						sent = append(sent, "patch")
						if err := c.Patch(ctx, obj, p, opts...); err != nil {
							return err
						}
						// An API server moves the generation on a change of the spec; the fake client does not.
						if km := obj.(*infrav1.KubernetesMachine); km.Spec.ProviderID != "" {
							km.Generation++
						}
						return nil
					},
					SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
						sent = append(sent, sub)
						return c.SubResource(sub).Patch(ctx, obj, p, opts...)
					},
				}).Build()
			read := &infrav1.KubernetesMachine{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "km"}, read); err != nil {
				t.Fatal(err)
			}
			if tc.meanwhile != nil {
				theirs := read.DeepCopy()
				tc.meanwhile(theirs)
				if theirs.DeletionTimestamp == nil {
					if err := c.Status().Update(ctx, theirs); err != nil {
						t.Fatal(err)
					}
				} else {
					if err := c.Delete(ctx, theirs); err != nil {
						t.Fatal(err)
					}
					if err := c.Get(ctx, client.ObjectKeyFromObject(read), read); err != nil {
						t.Fatal(err)
					}
					if len(theirs.Finalizers) == 0 {
						gone := read.DeepCopy()
						gone.Finalizers = nil
						if err := c.Update(ctx, gone); err != nil {
							t.Fatal(err)
						}
					}
				}
				sent = nil
			}
			obj := read.DeepCopy()
			tc.change(obj)
			err := PatchChanges(ctx, c, read, obj)
			if tc.want.err == nil && err != nil || tc.want.err != nil && !tc.want.err(err) {
				t.Errorf("%s\nPatchChanges(...): unexpected error %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.sent, sent); diff != "" {
				t.Errorf("%s\nrequests: -want, +got:\n%s", tc.reason, diff)
			}
			stored := &infrav1.KubernetesMachine{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "km"}, stored); err != nil {
				if tc.want.stored == nil && kerrors.IsNotFound(err) {
					return
				}
				t.Fatal(err)
			}
			if tc.want.stored == nil {
				t.Fatalf("%s\nthe object is still there: %+v", tc.reason, stored)
			}
			got := stored.DeepCopy()
			got.ResourceVersion, got.Generation = "", tc.want.stored.Generation
			if diff := cmp.Diff(tc.want.stored.Spec, got.Spec); diff != "" {
				t.Errorf("%s\nstored spec: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.stored.Status, got.Status); diff != "" {
				t.Errorf("%s\nstored status: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
