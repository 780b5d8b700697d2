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

package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Config says what to run.
type Config struct {
	// Nodes is how many Pods, NodePods or KubernetesMachines each phase creates.
	Nodes int
	// Provider is the provider binary; when empty, ./cmd/provider is built into the work directory.
	Provider string
	// ProviderArgs are extra flags for the provider, after the harness's own.
	ProviderArgs []string
	// Parallelism is how many creates or deletes the harness has in flight at once, in every phase.
	Parallelism int
	// PhaseTimeout bounds each create or delete phase.
	PhaseTimeout time.Duration
	// WorkDir holds kubeconfigs, binaries and logs; a temporary directory, removed after a successful run,
	// when empty.
	WorkDir string
	// Log receives progress; io.Discard when nil.
	Log io.Writer
	// Workloads are what the provider is measured with, after the floor: WorkloadNodePod, WorkloadKubernetesMachine
	// or both, in that order; both when empty.
	Workloads []string
	// Profile collects CPU profiles of the provider and of the outer kube-apiserver over the NodePod phases
	// into WorkDir, as consecutive provider-NNN.pprof and kube-apiserver-NNN.pprof files that `go tool pprof`
	// reads together, and the provider's allocations from its start to their end as provider-allocs.pprof.
	Profile bool
	// Unrelated is how many Secrets, and as many ConfigMaps, of UnrelatedSize bytes of data each, the
	// harness creates before the floor, in a namespace of their own: a management cluster's other tenants.
	Unrelated int
}

// Result is what one run measured.
type Result struct {
	// Nodes is Config.Nodes.
	Nodes int
	// FloorCreate is the time from the first Pod create to the last Pod Ready; FloorDelete from the first
	// delete to the last Pod gone.
	FloorCreate, FloorDelete time.Duration
	// NodePodCreate is the time from the first NodePod create to the last NodePod Ready; NodePodDelete from
	// the first delete to the last NodePod gone.
	NodePodCreate, NodePodDelete time.Duration
	// Latencies are, per NodePod and sorted, the time from its Pod turning Ready to it turning Ready.
	Latencies []time.Duration
	// NodePodsReady and NodePodsDeleted count the NodePods seen Ready and seen gone.
	NodePodsReady, NodePodsDeleted int
	// ProviderCPU is the provider's user and system CPU time over the NodePod phases.
	ProviderCPU time.Duration
	// FloorServerCPU and NodePodServerCPU are the CPU time the outer cluster's kube-apiserver and etcd used
	// over the floor's phases and over the NodePods'; zero when the harness could not find them.
	FloorServerCPU, NodePodServerCPU time.Duration
	// FloorServerWrites and NodePodServerWrites are the writes the outer cluster's kube-apiserver served, from
	// anyone, over the floor's phases and over the NodePods', by verb and resource (see parseServerWrites).
	FloorServerWrites, NodePodServerWrites map[string]float64
	// ProviderPeakRSS is the provider's peak resident set size from its start to the end of the NodePod
	// phases (to its end when they do not run), in bytes: the KubernetesMachine phases that follow also
	// cache Cluster API's objects and the NodePods they make, and would count against the NodePods' target.
	ProviderPeakRSS int64
	// APIRequests is how many requests the provider's clients sent over the NodePod phases, by HTTP method;
	// those the API server refused or failed by method and code, as PATCH(409).
	APIRequests map[string]float64

	// Workloads are Config.Workloads, defaulted.
	Workloads []string
	// MachineCreate is the time from the first KubernetesMachine create to the last one provisioned;
	// MachineDelete from the first delete to the last one gone.
	MachineCreate, MachineDelete time.Duration
	// MachineLatencies are, per KubernetesMachine and sorted, the time from its Pod turning Ready to it being
	// provisioned.
	MachineLatencies []time.Duration
	// MachineAfterNodePod are, per KubernetesMachine and sorted, the time from its NodePod turning Ready to
	// it being provisioned: the KubernetesMachine controller's own share of MachineLatencies.
	MachineAfterNodePod []time.Duration
	// MachinesProvisioned and MachinesDeleted count the KubernetesMachines seen provisioned and seen gone.
	MachinesProvisioned, MachinesDeleted int
	// MachineProviderCPU and MachineServerCPU are the CPU time of the provider and of the outer cluster's
	// kube-apiserver and etcd over the KubernetesMachine phases.
	MachineProviderCPU, MachineServerCPU time.Duration
	// MachineServerWrites are the writes the outer kube-apiserver served over the KubernetesMachine phases,
	// by verb and resource; the harness's, standing in for Cluster API's controllers, among them.
	MachineServerWrites map[string]float64
	// MachineAPIRequests is how many requests the provider's clients sent over the KubernetesMachine phases,
	// as APIRequests counts them.
	MachineAPIRequests map[string]float64
	// MachinePeakRSS is the provider's peak resident set size over its whole life, KubernetesMachine phases
	// included, in bytes.
	MachinePeakRSS int64
	// UnrelatedBytes is the data of Config.Unrelated's Secrets and ConfigMaps, in bytes.
	UnrelatedBytes int64
}

// Measures reports whether the run measured workload.
func (r *Result) Measures(workload string) bool { return slices.Contains(r.Workloads, workload) }

var setLogger sync.Once

// Run measures one environment with cfg.Nodes Pods, then cfg.Nodes of each workload.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = withDefaults(cfg)
	if err := validWorkloads(cfg.Workloads); err != nil {
		return nil, err
	}
	// The harness's own watches log through controller-runtime, which complains until it has a logger.
	setLogger.Do(func() { ctrllog.SetLogger(logr.Discard()) })
	logf := func(format string, a ...any) { _, _ = fmt.Fprintf(cfg.Log, "bench: "+format+"\n", a...) }

	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "kindnode-bench-")
		if err != nil {
			return nil, err
		}
		work = d
	}
	res, err := run(ctx, cfg, work, logf)
	if err != nil {
		return nil, fmt.Errorf("%w (logs in %s)", err, work)
	}
	if cfg.WorkDir == "" {
		_ = os.RemoveAll(work)
	}
	return res, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = 16
	}
	if cfg.PhaseTimeout <= 0 {
		cfg.PhaseTimeout = 10 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if len(cfg.Workloads) == 0 {
		cfg.Workloads = []string{WorkloadNodePod, WorkloadKubernetesMachine}
	}
	return cfg
}

// validWorkloads checks that every workload is known.
func validWorkloads(ws []string) error {
	for _, w := range ws {
		if w != WorkloadNodePod && w != WorkloadKubernetesMachine {
			return fmt.Errorf("unknown workload %q; want %s or %s", w, WorkloadNodePod, WorkloadKubernetesMachine)
		}
	}
	return nil
}

func run(ctx context.Context, cfg Config, work string, logf func(string, ...any)) (*Result, error) {
	provider := cfg.Provider
	if provider == "" {
		logf("building ./cmd/provider")
		p, err := buildProvider(ctx, work)
		if err != nil {
			return nil, err
		}
		provider = p
	}

	machines := slices.Contains(cfg.Workloads, WorkloadKubernetesMachine)
	logf("starting kube-apiserver, etcd and kwok")
	oc, err := startOuterCluster(ctx, work, cfg.Parallelism, machines, cfg.Log, logf)
	if err != nil {
		return nil, err
	}
	defer oc.stop()

	logf("starting the provider")
	kubeconfig, err := oc.kubeconfig(work, "provider")
	if err != nil {
		return nil, err
	}
	p, err := startProvider(ctx, provider, kubeconfig, work, cfg.Profile, cfg.ProviderArgs)
	if err != nil {
		return nil, err
	}
	defer p.Stop()

	srv, err := findServers(oc.cfg.Host)
	if err != nil {
		logf("not measuring the API server's CPU time: %v", err)
	}
	writes, err := newWriteCounter(oc.cfg)
	if err != nil {
		return nil, err
	}
	ph := &phases{oc: oc, cfg: cfg, work: work, logf: logf, servers: srv, writes: writes}
	res := &Result{Nodes: cfg.Nodes, Workloads: cfg.Workloads}
	if cfg.Unrelated > 0 {
		if res.UnrelatedBytes, err = ph.unrelated(ctx); err != nil {
			return nil, err
		}
	}
	if err := ph.floor(ctx, res); err != nil {
		return nil, err
	}
	if slices.Contains(cfg.Workloads, WorkloadNodePod) {
		if err := ph.nodePods(ctx, res, p); err != nil {
			return nil, fmt.Errorf("%w (provider log: %s)", err, p.LogPath())
		}
		if res.ProviderPeakRSS, err = p.peakRSS(); err != nil {
			return nil, err
		}
	}
	if machines {
		if err := ph.machines(ctx, res, p); err != nil {
			return nil, fmt.Errorf("%w (provider log: %s)", err, p.LogPath())
		}
	}
	// Kept for a closer look: reconciles, work queue and client metrics by controller.
	if b, err := p.metrics(ctx); err == nil {
		_ = os.WriteFile(filepath.Join(work, "provider-metrics.txt"), b, 0o600)
	}
	rss, err := p.peakRSS()
	if err != nil {
		return nil, err
	}
	if machines {
		res.MachinePeakRSS = rss
	}
	if res.ProviderPeakRSS == 0 {
		res.ProviderPeakRSS = rss
	}
	return res, nil
}
