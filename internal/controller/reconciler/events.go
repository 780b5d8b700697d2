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
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
)

// The reasons of the Normal events the managed reconciler records whenever it requested the creation, the
// update or the deletion of an external resource.
const (
	ReasonCreated event.Reason = "CreatedExternalResource"
	ReasonUpdated event.Reason = "UpdatedExternalResource"
	ReasonDeleted event.Reason = "DeletedExternalResource"
)

// SkipCreatedUpdatedDeleted is an event filter that drops the managed reconciler's Normal events of a requested
// create, update or delete. They are an API request each per managed resource (a NodePod is created, updated
// once to start its bootstrap, and deleted) and say what its conditions say: Ready Creating or Deleting,
// Bootstrapped Bootstrapping; warnings and every other event stay.
func SkipCreatedUpdatedDeleted(_ runtime.Object, e event.Event) bool {
	return e.Type == event.TypeNormal && (e.Reason == ReasonCreated || e.Reason == ReasonUpdated || e.Reason == ReasonDeleted)
}

// A filteringRecorder drops the events any of its filters matches. crossplane-runtime's APIRecorder takes
// filters too but forgets them in WithAnnotations, which the managed reconciler calls for every event.
type filteringRecorder struct {
	event.Recorder
	filters []event.FilterFn
}

// NewFilteringRecorder returns a recorder that passes to r the events none of filters matches.
func NewFilteringRecorder(r event.Recorder, filters ...event.FilterFn) event.Recorder {
	if len(filters) == 0 {
		return r
	}
	return filteringRecorder{Recorder: r, filters: filters}
}

func (r filteringRecorder) Event(obj runtime.Object, e event.Event) {
	for _, skip := range r.filters {
		if skip(obj, e) {
			return
		}
	}
	r.Recorder.Event(obj, e)
}

func (r filteringRecorder) WithAnnotations(keysAndValues ...string) event.Recorder {
	return filteringRecorder{Recorder: r.Recorder.WithAnnotations(keysAndValues...), filters: r.filters}
}
