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

package provider

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
)

func TestControllerOptions(t *testing.T) {
	type want struct {
		Poll             time.Duration
		Concurrency      int
		MRMetrics        bool
		EventFilters     int
		ManagementPolicy bool
	}
	cases := map[string]struct {
		reason string
		c      Config
		want   want
	}{
		"Binary": {
			reason: "The binary's defaults serve managed resource metrics, drop the Normal events conditions repeat and honour management policies.",
			c: Config{PollInterval: time.Minute, MaxConcurrentReconciles: 10, MaxReconcileRate: 500, MetricsBindAddress: ":8080",
				ManagementPolicies: true},
			want: want{Poll: time.Minute, Concurrency: 10, MRMetrics: true, EventFilters: 1, ManagementPolicy: true},
		},
		"MetricsOff": {
			reason: "Without a metrics endpoint no managed resource metrics are recorded, and none registered.",
			c:      Config{MetricsBindAddress: metricsOff},
			want:   want{EventFilters: 1},
		},
		"RecordCreateDeleteEvents": {
			reason: "Asked to, the provider records every create, update and delete event.",
			c:      Config{MetricsBindAddress: metricsOff, RecordCreateDeleteEvents: true},
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := controllerOptions(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			// The metrics go to the process's registry, where a second run of the test (-count) would find
			// them taken.
			if o.MetricOptions != nil {
				if c, ok := o.MetricOptions.MRMetrics.(prometheus.Collector); ok {
					t.Cleanup(func() { metrics.Registry.Unregister(c) })
				}
			}
			got := want{
				Poll:             o.PollInterval,
				Concurrency:      o.MaxConcurrentReconciles,
				MRMetrics:        o.MetricOptions != nil,
				EventFilters:     len(o.EventFilterFunctions),
				ManagementPolicy: o.Features.Enabled(feature.EnableBetaManagementPolicies),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncontrollerOptions(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
