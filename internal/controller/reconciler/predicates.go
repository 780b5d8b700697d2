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
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
)

// DesiredStateChanged passes the managed resource events crossplane-runtime's predicate of the same name
// passes, except those of the managed reconciler's own bookkeeping, which would each cost a reconcile that
// finds nothing to do: the annotations that record a create, and the external name NameAsExternalName sets.
func DesiredStateChanged() predicate.Predicate {
	return predicate.Or(annotationsChanged{}, predicate.LabelChangedPredicate{}, predicate.GenerationChangedPredicate{})
}

// annotationsChanged passes updates that change annotations other than the bookkeeping ones.
type annotationsChanged struct {
	predicate.Funcs
}

// bookkeeping are the annotations the managed reconciler writes to record a create.
var bookkeeping = []string{
	meta.AnnotationKeyExternalCreatePending,
	meta.AnnotationKeyExternalCreateSucceeded,
	meta.AnnotationKeyExternalCreateFailed,
}

func (annotationsChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	old, cur := maps.Clone(e.ObjectOld.GetAnnotations()), maps.Clone(e.ObjectNew.GetAnnotations())
	for _, k := range bookkeeping {
		delete(old, k)
		delete(cur, k)
	}
	if _, set := old[meta.AnnotationKeyExternalName]; !set && cur[meta.AnnotationKeyExternalName] == e.ObjectNew.GetName() {
		delete(cur, meta.AnnotationKeyExternalName)
	}
	return !maps.Equal(old, cur)
}

// SpecOrMetadataChanged passes the updates of an object that change more than its status: its spec (a new
// generation), labels, annotations, finalizers, owner references or deletion. A Cluster API controller that
// writes its object's status only reads the rest of it, so each of its own status writes would otherwise
// cost a reconcile that finds nothing new.
func SpecOrMetadataChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
		predicate.AnnotationChangedPredicate{}, metadataChanged{})
}

// metadataChanged passes updates that change finalizers, owner references or the deletion timestamp.
type metadataChanged struct {
	predicate.Funcs
}

func (metadataChanged) Update(e event.UpdateEvent) bool {
	if e.ObjectOld == nil || e.ObjectNew == nil {
		return false
	}
	o, n := e.ObjectOld, e.ObjectNew
	return !slices.Equal(o.GetFinalizers(), n.GetFinalizers()) ||
		!equality.Semantic.DeepEqual(o.GetOwnerReferences(), n.GetOwnerReferences()) ||
		!o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp())
}
