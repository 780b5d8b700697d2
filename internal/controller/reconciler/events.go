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

// The reasons of the Normal events the managed reconciler records whenever it requested the creation or the
// deletion of an external resource.
const (
	ReasonCreated event.Reason = "CreatedExternalResource"
	ReasonDeleted event.Reason = "DeletedExternalResource"
)

// SkipCreatedDeleted is an event filter that drops the managed reconciler's Normal events of a requested
// create or delete. They are one or two API requests per managed resource and say what its Ready condition
// says, Creating or Deleting; warnings and every other event stay.
func SkipCreatedDeleted(_ runtime.Object, e event.Event) bool {
	return e.Type == event.TypeNormal && (e.Reason == ReasonCreated || e.Reason == ReasonDeleted)
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
