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
