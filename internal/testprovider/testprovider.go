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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	kncontroller "github.com/kindnode/cluster-api-provider-kubernetes/internal/controller"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodepod"
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

// Start runs the provider's controllers in process against e until ctx ends, set up as cmd/provider
// sets them up (safe-start gate included), with bootstrap commands going to executor.
func Start(ctx context.Context, e *testenv.Env, log logr.Logger, executor func(cfg *rest.Config, namespace, pod, container string) bootstrap.Executor, opts ...Option) error {
	cfg := rest.CopyConfig(e.Config)
	for _, o := range opts {
		o(cfg)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  e.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   cache.Options{DefaultTransform: cache.TransformStripManagedFields(), ByObject: kncontroller.CacheByObject()},
	})
	if err != nil {
		return err
	}
	o := controller.Options{
		Logger:                  logging.NewLogrLogger(log.WithName("provider")),
		MaxConcurrentReconciles: 5,
		PollInterval:            PollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(100),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
	}
	o.Features.Enable(feature.EnableBetaManagementPolicies)
	clusters := clients.NewRegistry(mgr.GetConfig(), e.Scheme, clients.WithSyncTimeout(10*time.Second))
	// Nodes' network status is read every second: tests wait for it, and no test Pod is a node that answers
	// unless the test itself plays one.
	no := nodepod.Options{Clusters: clusters, Executor: executor, NetworkInterval: time.Second}
	if err := kncontroller.Setup(ctx, mgr, o, no, ""); err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "provider manager:", err)
		}
	}()
	return nil
}
