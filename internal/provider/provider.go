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

// Package provider builds the provider: its manager, with every controller set up as Config says. The
// binary (cmd/provider) and the in-process tests (internal/testprovider) both build it here, so that what a
// test runs is what a cluster runs, and only the values they pass differ.
package provider

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	kncontroller "github.com/kindnode/cluster-api-provider-kubernetes/internal/controller"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodepod"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
)

const (
	errScheme    = "cannot build the scheme"
	errManager   = "cannot create the manager"
	errProbes    = "cannot add the health and readiness probes"
	errSetup     = "cannot set up the controllers"
	errMRMetrics = "cannot register the managed resource metrics"

	// leaderElectionID is the Lease the replicas of the provider elect their leader with.
	leaderElectionID = "crossplane-leader-election-provider-kindnode"
	leaseDuration    = 60 * time.Second
	renewDeadline    = 50 * time.Second

	// metricsOff is the bind address that turns the metrics endpoint off.
	metricsOff = "0"
)

// Config is how the provider runs: what cmd/provider's flags set, and what tests change.
type Config struct {
	// Logger logs what the controllers do.
	Logger logr.Logger
	// LeaderElection makes only one replica reconcile.
	LeaderElection bool
	// LeaderElectionNamespace is the namespace of the Lease; the one the provider runs in when empty, which
	// only a provider running in a cluster knows.
	LeaderElectionNamespace string
	// SyncInterval is how often every watched object is re-read from the API server.
	SyncInterval time.Duration
	// Namespace is the only namespace watched; all when empty.
	Namespace string
	// PollInterval is how often each managed resource is checked for drift.
	PollInterval time.Duration
	// MaxReconcileRate is the most reconciles per second, over all managed resources.
	MaxReconcileRate int
	// MaxConcurrentReconciles is how many objects of one kind are reconciled at once.
	MaxConcurrentReconciles int
	// QPS and Burst limit the API requests to each cluster, the provider's own and each outer cluster.
	QPS   float32
	Burst int
	// ManagementPolicies honours spec.managementPolicies.
	ManagementPolicies bool
	// RecordCreateDeleteEvents records a Normal event for each create, update and delete of an outer object.
	RecordCreateDeleteEvents bool
	// MetricsBindAddress is where the metrics endpoint listens; "0" turns it, and the managed resource
	// metrics it would serve, off.
	MetricsBindAddress string
	// HealthProbeBindAddress is where the health and readiness probes listen; "0" turns them off.
	HealthProbeBindAddress string
	// PprofBindAddress is where Go's pprof endpoints listen; "0" turns them off.
	PprofBindAddress string
	// ImageRepository is the repository of the kind node images chosen by forProvider.kubernetesVersion.
	ImageRepository string
	// WatchFilter is the value of cluster.x-k8s.io/watch-filter of the only Cluster API objects reconciled;
	// all when empty.
	WatchFilter string

	// NetworkInterval is how often each node's network status is read; the NodePod controller's default when
	// zero.
	NetworkInterval time.Duration
	// OuterSweepInterval is how often connections to outer clusters that no provider config leads to any more
	// are closed; a minute when zero.
	OuterSweepInterval time.Duration
	// OuterSyncTimeout bounds the wait for an outer cluster's cache to sync; the registry's default when zero.
	OuterSyncTimeout time.Duration
	// BootstrapRetryAfter is how long a failed bootstrap step is reported before it runs again; a minute when
	// zero.
	BootstrapRetryAfter time.Duration
	// SkipNameValidation lets a second provider run in the process, as a test restarting the provider needs:
	// controller-runtime refuses a controller name it has seen.
	SkipNameValidation bool
	// Node reaches a node Pod's bootstrap runs; pods/exec when nil.
	Node func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner
}

// NewScheme returns the scheme of every kind the provider reads or writes.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, apis.AddToScheme} {
		if err := add(s); err != nil {
			return nil, errors.Wrap(err, errScheme)
		}
	}
	return s, nil
}

// A Provider is the provider's manager, with every controller set up, and the clients of the outer clusters
// its controllers connect to.
type Provider struct {
	mgr      ctrl.Manager
	clusters *clients.Registry
}

// Leader election: the replicas read, create and renew one Lease, record an event when one becomes the
// leader, and the leader hands the Lease over when it stops.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// New returns the provider, configured as c says, against the API server of cfg, whose kinds s knows. The
// Cluster API controllers' watches use ctx.
func New(ctx context.Context, cfg *rest.Config, s *runtime.Scheme, c Config) (*Provider, error) {
	cfg = rest.CopyConfig(cfg)
	// Outer clusters connected with the provider's own identity inherit these limits.
	cfg.QPS, cfg.Burst = c.QPS, c.Burst
	// The API server warns on every write of a finalizer without a path, and crossplane-runtime's and Cluster
	// API's finalizers have none: once per message is enough, not a line per NodePod.
	cfg.WarningHandlerWithContext = crlog.NewKubeAPIWarningLogger(crlog.KubeAPIWarningLoggerOptions{Deduplicate: true})
	lease, renew := leaseDuration, renewDeadline
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                     s,
		Cache:                      cacheOptions(c.SyncInterval, c.Namespace),
		Client:                     kncontroller.ClientOptions(),
		Metrics:                    metricsserver.Options{BindAddress: c.MetricsBindAddress},
		HealthProbeBindAddress:     c.HealthProbeBindAddress,
		PprofBindAddress:           c.PprofBindAddress,
		LeaderElection:             c.LeaderElection,
		LeaderElectionID:           leaderElectionID,
		LeaderElectionNamespace:    c.LeaderElectionNamespace,
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaseDuration:              &lease,
		RenewDeadline:              &renew,
		// A provider that stops hands its lease over at once: its successor in a rolling update or after a
		// deleted Pod would otherwise wait for the lease to expire, a minute with nothing reconciled.
		// cmd/provider exits once the manager stopped, as this requires.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    ctrlconfig.Controller{SkipNameValidation: &c.SkipNameValidation},
	})
	if err != nil {
		return nil, errors.Wrap(err, errManager)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, errors.Wrap(err, errProbes)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, errors.Wrap(err, errProbes)
	}

	o, err := controllerOptions(c)
	if err != nil {
		return nil, err
	}
	var ropts []clients.RegistryOption
	if c.OuterSyncTimeout != 0 {
		ropts = append(ropts, clients.WithSyncTimeout(c.OuterSyncTimeout))
	}
	clusters := clients.NewRegistry(mgr.GetConfig(), s, ropts...)
	sweep := c.OuterSweepInterval
	if sweep == 0 {
		sweep = time.Minute
	}
	if err := mgr.Add(clusters.Sweeper(mgr.GetClient(), sweep)); err != nil {
		clusters.Close()
		return nil, errors.Wrap(err, errSetup)
	}
	no := nodepod.Options{Clusters: clusters, ImageRepository: c.ImageRepository, Node: c.Node, BootstrapRetryAfter: c.BootstrapRetryAfter, NetworkInterval: c.NetworkInterval}
	if err := kncontroller.Setup(ctx, mgr, o, no, c.WatchFilter); err != nil {
		clusters.Close()
		return nil, errors.Wrap(err, errSetup)
	}
	return &Provider{mgr: mgr, clusters: clusters}, nil
}

// Start runs the controllers until ctx ends or one of them fails, and closes the outer clusters' clients
// then.
func (p *Provider) Start(ctx context.Context) error {
	defer p.clusters.Close()
	return p.mgr.Start(ctx)
}

// controllerOptions are the options every controller of the provider shares.
func controllerOptions(c Config) (controller.Options, error) {
	o := controller.Options{
		Logger:                  logging.NewLogrLogger(c.Logger),
		MaxConcurrentReconciles: c.MaxConcurrentReconciles,
		PollInterval:            c.PollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(c.MaxReconcileRate),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
	}
	if c.MetricsBindAddress != metricsOff {
		mrMetrics := managed.NewMRMetricRecorder()
		if err := metrics.Registry.Register(mrMetrics); err != nil {
			return controller.Options{}, errors.Wrap(err, errMRMetrics)
		}
		o.MetricOptions = &controller.MetricOptions{MRMetrics: mrMetrics}
	}
	if !c.RecordCreateDeleteEvents {
		o.EventFilterFunctions = append(o.EventFilterFunctions, reconciler.SkipCreatedUpdatedDeleted)
	}
	if c.ManagementPolicies {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}
	return o, nil
}

// cacheOptions are the options of the cache every controller reads from.
func cacheOptions(sync time.Duration, namespace string) cache.Options {
	// Managed fields are a good part of every object and nothing the provider reads.
	o := cache.Options{SyncPeriod: &sync, DefaultTransform: cache.TransformStripManagedFields(), ByObject: kncontroller.CacheByObject()}
	if namespace != "" {
		o.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	return o
}
