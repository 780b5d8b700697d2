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

// Package testprovider runs the provider's controllers in process for tests against a testenv API server. It
// is apart from testenv because the engine's own tests use testenv, and the controllers import the engine.
package testprovider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/provider"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// PollInterval is the provider's poll interval in tests: far longer than any test, so whatever a test sees
// happen was caused by a watch event.
const PollInterval = time.Hour

// An Option changes how Start runs the provider.
type Option func(*rest.Config)

// RecordingRequests records every API request the provider sends in r.
func RecordingRequests(r *Requests) Option {
	return func(cfg *rest.Config) { cfg.Wrap(r.wrap) }
}

// Start runs the provider's controllers in process against e until ctx ends, built by internal/provider as
// cmd/provider builds them (safe-start gate included), with bootstrap runs going to node. What differs
// from the binary's defaults is set here, for tests: see each value. The returned channel is closed once the
// provider stopped.
func Start(ctx context.Context, e *testenv.Env, log logr.Logger, node func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner, opts ...Option) (<-chan struct{}, error) {
	return start(ctx, e, log, node, "", opts)
}

// StartReplica is Start for one of several replicas of the provider, as a Deployment of more than one runs
// them: with leader election on, with the Lease in leaseNamespace (the binary's is the namespace it runs in).
// Only the replica that holds the Lease reconciles.
func StartReplica(ctx context.Context, e *testenv.Env, log logr.Logger, node func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner, leaseNamespace string, opts ...Option) (<-chan struct{}, error) {
	return start(ctx, e, log, node, leaseNamespace, opts)
}

// start is Start, with leader election on when leaseNamespace is set.
func start(ctx context.Context, e *testenv.Env, log logr.Logger, node func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner, leaseNamespace string, opts []Option) (<-chan struct{}, error) {
	cfg := rest.CopyConfig(e.Config)
	for _, o := range opts {
		o(cfg)
	}
	p, err := provider.New(ctx, cfg, e.Scheme, provider.Config{
		Logger:             log.WithName("provider"),
		ManagementPolicies: true,
		// Off unless several replicas run, as the binary's --leader-election is.
		LeaderElection:          leaseNamespace != "",
		LeaderElectionNamespace: leaseNamespace,
		// The limits testenv's client configuration comes with, which no test reaches.
		QPS:   cfg.QPS,
		Burst: cfg.Burst,
		// A small controller: tests create a few objects at a time.
		MaxConcurrentReconciles: 5,
		MaxReconcileRate:        100,
		// Far longer than any test, as PollInterval is: no object is re-read behind a test's back.
		SyncInterval: PollInterval,
		PollInterval: PollInterval,
		// Nodes' network status is read every second: tests wait for it, and no test Pod is a node that
		// answers unless the test itself plays one.
		NetworkInterval: time.Second,
		// An outer cluster that cannot sync fails a test in seconds, not in the binary's half minute.
		OuterSyncTimeout: 10 * time.Second,
		// A connection whose credentials changed closes within seconds, which a test waits for.
		OuterSweepInterval: time.Second,
		Node:               node,
		// A failed bootstrap step runs again in a few seconds, not the binary's minute, which a test would
		// wait for.
		BootstrapRetryAfter: 2 * time.Second,
		// Tests read no metrics: no endpoints, and no managed resource metrics in the process-wide registry,
		// where a second provider in the same test binary would find them taken.
		MetricsBindAddress:     "0",
		HealthProbeBindAddress: "0",
		PprofBindAddress:       "0",
		// A test may stop the provider and start another, as a restart would.
		SkipNameValidation: true,
	})
	if err != nil {
		return nil, err
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := p.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "provider manager:", err)
		}
	}()
	return stopped, nil
}
