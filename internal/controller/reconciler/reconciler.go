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
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
)

// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// ManagedOptions are the crossplane-runtime managed reconciler options every kind of the provider uses; the
// kind's external connector comes on top. The managed reconciler records events of what it does.
func ManagedOptions(mgr ctrl.Manager, o controller.Options, name string) []managed.ReconcilerOption {
	opts := []managed.ReconcilerOption{
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		// Create treats AlreadyExists as success, so a cache that has not yet seen a new object costs a
		// harmless second create. The default grace period would instead hold every deletion for 30 s
		// after a create.
		managed.WithCreationGracePeriod(0),
		managed.WithRecorder(NewFilteringRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), o.EventFilterFunctions...)), //nolint:staticcheck // crossplane-runtime's recorder still takes the legacy events API.
	}
	if o.Features.Enabled(feature.EnableBetaManagementPolicies) {
		opts = append(opts, managed.WithManagementPolicies())
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
	}
	return opts
}
