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
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/provider"
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
	log := zl.WithName("provider-kindnode")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("cannot get the API server's client configuration: %w", err)
	}
	s, err := provider.NewScheme()
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	p, err := provider.New(ctx, cfg, s, provider.Config{
		Logger:                   log,
		LeaderElection:           *leaderElection,
		SyncInterval:             *syncInterval,
		Namespace:                *namespace,
		PollInterval:             *pollInterval,
		MaxReconcileRate:         *maxReconcileRate,
		MaxConcurrentReconciles:  *concurrency,
		QPS:                      *qps,
		Burst:                    *burst,
		ManagementPolicies:       *managementPols,
		RecordCreateDeleteEvents: *createDelete,
		MetricsBindAddress:       *metricsAddr,
		HealthProbeBindAddress:   *probeAddr,
		PprofBindAddress:         *pprofAddr,
		ImageRepository:          *imageRepository,
		WatchFilter:              *watchFilter,
	})
	if err != nil {
		return err
	}
	log.Info("Starting the manager")
	return p.Start(ctx)
}
