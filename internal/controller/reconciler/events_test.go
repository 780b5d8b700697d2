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
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
)

// events remembers the reasons of the events it records.
type events struct{ reasons *[]event.Reason }

func (e events) Event(_ runtime.Object, ev event.Event)   { *e.reasons = append(*e.reasons, ev.Reason) }
func (e events) WithAnnotations(...string) event.Recorder { return e }

func TestSkipCreatedUpdatedDeleted(t *testing.T) {
	var got []event.Reason
	// The managed reconciler adds annotations to its recorder before every event; the filter must survive.
	r := NewFilteringRecorder(events{reasons: &got}, SkipCreatedUpdatedDeleted).WithAnnotations("external-name", "n")
	r.Event(nil, event.Normal(ReasonCreated, "Successfully requested creation of external resource"))
	r.Event(nil, event.Normal(ReasonDeleted, "Successfully requested deletion of external resource"))
	r.Event(nil, event.Normal(ReasonUpdated, "Successfully requested update of external resource"))
	r.Event(nil, event.Normal("ProviderConfigUsed", "another Normal event"))
	r.Event(nil, event.Warning(ReasonCreated, errors.New("a warning with the same reason")))
	r.Event(nil, event.Warning("CannotObserveExternalResource", errors.New("boom")))

	want := []event.Reason{"ProviderConfigUsed", ReasonCreated, "CannotObserveExternalResource"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded events: -want, +got:\n%s", diff)
	}
}
