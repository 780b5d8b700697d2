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

// Command provider runs the manager of the kindnode provider: kind nodes as Pods in an outer cluster, for
// Crossplane (NodePod, NodeService) and Cluster API (KubernetesCluster, KubernetesMachine).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	kncontroller "github.com/kindnode/cluster-api-provider-kubernetes/internal/controller"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/nodepod"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/controller/reconciler"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := pflag.CommandLine
	var (
		debug            = fs.Bool("debug", false, "Log at debug level, including controller-runtime's logs.")
		leaderElection   = fs.Bool("leader-election", false, "Use leader election, so that only one replica reconciles.")
		syncInterval     = fs.Duration("sync", time.Hour, "How often every watched object is re-read from the API server.")
		pollInterval     = fs.Duration("poll", time.Minute, "How often each managed resource is checked for drift; outer Pod and Service changes are seen at once regardless.")
		maxReconcileRate = fs.Int("max-reconcile-rate", 500, "The most reconciles per second, over all managed resources; ten times as many may come in a burst.")
		concurrency      = fs.Int("max-concurrent-reconciles", 10, "How many objects of one kind are reconciled at once. A reconcile mostly waits for the API server: more only queue there, and a node that turns Ready waits behind them. Raise it for outer clusters far away.")
		qps              = fs.Float32("kube-api-qps", 500, "The most API requests per second to each cluster, the provider's own and each outer cluster.")
		burst            = fs.Int("kube-api-burst", 1000, "How many API requests may go out at once above --kube-api-qps.")
		managementPols   = fs.Bool("enable-management-policies", true, "Honour spec.managementPolicies.")
		createDelete     = fs.Bool("record-create-delete-events", false, "Record a Normal event each time a managed resource's outer object is created, updated (a node's bootstrap started, its Pod's labels changed) or deleted; its conditions say the same.")
		metricsAddr      = fs.String("metrics-bind-address", ":8080", "Where the metrics endpoint listens; 0 turns it off.")
		probeAddr        = fs.String("health-probe-bind-address", ":8081", "Where the health and readiness probes listen; 0 turns them off.")
		pprofAddr        = fs.String("pprof-bind-address", "0", "Where Go's pprof endpoints (/debug/pprof/) listen; 0 turns them off.")
		imageRepository  = fs.String("node-image-repository", kindnode.DefaultImageRepository, "Repository of the kind node images chosen by forProvider.kubernetesVersion.")
		watchFilter      = fs.String("watch-filter", "", "Only reconcile Cluster API objects with the label cluster.x-k8s.io/watch-filter set to this value.")
		namespace        = fs.String("namespace", "", "Only watch objects in this namespace (default: all namespaces).")
	)
	fs.AddGoFlagSet(flag.CommandLine) // --kubeconfig, registered by controller-runtime.
	pflag.Parse()

	zl := zap.New(zap.UseDevMode(*debug))
	ctrl.SetLogger(zl)
	log := logging.NewLogrLogger(zl.WithName("provider-kindnode"))

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("cannot get the API server's client configuration: %w", err)
	}

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, apis.AddToScheme} {
		if err := add(s); err != nil {
			return fmt.Errorf("cannot build the scheme: %w", err)
		}
	}

	lease, renew := 60*time.Second, 50*time.Second
	// Outer clusters connected with the provider's own identity inherit these limits.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = *qps, *burst
	// The API server warns on every write of a finalizer without a path, and crossplane-runtime's and Cluster
	// API's finalizers have none: once per message is enough, not a line per NodePod.
	cfg.WarningHandlerWithContext = crlog.NewKubeAPIWarningLogger(crlog.KubeAPIWarningLoggerOptions{Deduplicate: true})
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                     s,
		Cache:                      cacheOptions(*syncInterval, *namespace),
		Metrics:                    metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:     *probeAddr,
		PprofBindAddress:           *pprofAddr,
		LeaderElection:             *leaderElection,
		LeaderElectionID:           "crossplane-leader-election-provider-kindnode",
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaseDuration:              &lease,
		RenewDeadline:              &renew,
	})
	if err != nil {
		return fmt.Errorf("cannot create the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}

	mrMetrics := managed.NewMRMetricRecorder()
	metrics.Registry.MustRegister(mrMetrics)

	o := controller.Options{
		Logger:                  log,
		MaxConcurrentReconciles: *concurrency,
		PollInterval:            *pollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(*maxReconcileRate),
		Features:                &feature.Flags{},
		Gate:                    new(gate.Gate[schema.GroupVersionKind]),
		MetricOptions:           &controller.MetricOptions{MRMetrics: mrMetrics},
	}
	if !*createDelete {
		o.EventFilterFunctions = append(o.EventFilterFunctions, reconciler.SkipCreatedUpdatedDeleted)
	}
	if *managementPols {
		o.Features.Enable(feature.EnableBetaManagementPolicies)
	}

	clusters := clients.NewRegistry(mgr.GetConfig(), s)
	defer clusters.Close()
	no := nodepod.Options{Clusters: clusters, ImageRepository: *imageRepository}

	ctx := ctrl.SetupSignalHandler()
	if err := kncontroller.Setup(ctx, mgr, o, no, *watchFilter); err != nil {
		return fmt.Errorf("cannot set up the controllers: %w", err)
	}
	log.Info("Starting the manager")
	return mgr.Start(ctx)
}

func cacheOptions(sync time.Duration, namespace string) cache.Options {
	// Managed fields are a good part of every object and nothing the provider reads.
	o := cache.Options{SyncPeriod: &sync, DefaultTransform: cache.TransformStripManagedFields(), ByObject: kncontroller.CacheByObject()}
	if namespace != "" {
		o.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	return o
}
