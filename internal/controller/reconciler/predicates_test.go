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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

func nodePod(generation int64, labels, annotations map[string]string) *v1alpha1.NodePod {
	return &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "np", Generation: generation, Labels: labels, Annotations: annotations}}
}

func TestDesiredStateChanged(t *testing.T) {
	cases := map[string]struct {
		reason   string
		old, new *v1alpha1.NodePod
		want     bool
	}{
		"SpecChanged": {
			reason: "A new generation is a new desired state.",
			old:    nodePod(1, nil, nil),
			new:    nodePod(2, nil, nil),
			want:   true,
		},
		"LabelsChanged": {
			reason: "Labels may be copied to the outer objects.",
			old:    nodePod(1, nil, nil),
			new:    nodePod(1, map[string]string{"a": "b"}, nil),
			want:   true,
		},
		"UserAnnotationChanged": {
			reason: "An annotation such as the pause annotation changes what the reconciler does.",
			old:    nodePod(1, nil, nil),
			new:    nodePod(1, nil, map[string]string{meta.AnnotationKeyReconciliationPaused: "true"}),
			want:   true,
		},
		"ExternalNameChanged": {
			reason: "An external name set to another one names another outer object.",
			old:    nodePod(1, nil, map[string]string{meta.AnnotationKeyExternalName: "np"}),
			new:    nodePod(1, nil, map[string]string{meta.AnnotationKeyExternalName: "other"}),
			want:   true,
		},
		"ExternalNameSetToOwnName": {
			reason: "The external name the initializer sets to the resource's own name is bookkeeping.",
			old:    nodePod(1, nil, nil),
			new:    nodePod(1, nil, map[string]string{meta.AnnotationKeyExternalName: "np", meta.AnnotationKeyExternalCreatePending: "t"}),
			want:   false,
		},
		"CreateRecorded": {
			reason: "The annotations recording a create are bookkeeping.",
			old:    nodePod(1, nil, map[string]string{meta.AnnotationKeyExternalName: "np", meta.AnnotationKeyExternalCreatePending: "t"}),
			new:    nodePod(1, nil, map[string]string{meta.AnnotationKeyExternalName: "np", meta.AnnotationKeyExternalCreatePending: "t", meta.AnnotationKeyExternalCreateSucceeded: "t"}),
			want:   false,
		},
		"StatusOnly": {
			reason: "A status write is the reconciler's own.",
			old:    nodePod(1, nil, nil),
			new: func() *v1alpha1.NodePod {
				np := nodePod(1, nil, nil)
				np.Status.AtProvider.PodIP = "10.0.0.1"
				return np
			}(),
			want: false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := DesiredStateChanged().Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nUpdate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSpecOrMetadataChanged(t *testing.T) {
	now := metav1.Now()
	cases := map[string]struct {
		reason string
		change func(*v1alpha1.NodePod)
		want   bool
	}{
		"StatusOnly": {
			reason: "A status write is the controller's own: nothing it reads changed.",
			change: func(np *v1alpha1.NodePod) { np.Status.AtProvider.PodIP = "10.0.0.1"; np.ResourceVersion = "2" },
			want:   false,
		},
		"SpecChanged": {
			reason: "A new generation is a new desired state.",
			change: func(np *v1alpha1.NodePod) { np.Generation = 2 },
			want:   true,
		},
		"AnnotationChanged": {
			reason: "An annotation such as Cluster API's paused one changes what the controller does.",
			change: func(np *v1alpha1.NodePod) { np.Annotations = map[string]string{"cluster.x-k8s.io/paused": ""} },
			want:   true,
		},
		"FinalizerAdded": {
			reason: "A controller that adds its finalizer and returns continues on the update.",
			change: func(np *v1alpha1.NodePod) { np.Finalizers = []string{"f"} },
			want:   true,
		},
		"OwnerSet": {
			reason: "Cluster API's owner reference is what a Cluster API controller waits for.",
			change: func(np *v1alpha1.NodePod) {
				np.OwnerReferences = []metav1.OwnerReference{{APIVersion: "cluster.x-k8s.io/v1beta2", Kind: "Machine", Name: "m"}}
			},
			want: true,
		},
		"DeletionBegun": {
			reason: "A deletion is what a controller must act on.",
			change: func(np *v1alpha1.NodePod) { np.DeletionTimestamp = &now },
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			old := nodePod(1, nil, nil)
			cur := old.DeepCopy()
			tc.change(cur)
			got := SpecOrMetadataChanged().Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nUpdate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
