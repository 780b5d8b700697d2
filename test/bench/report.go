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
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Metric names, as they appear in the table and in the BENCH lines.
const (
	MetricFloorCreate     = "floor_create"
	MetricFloorDelete     = "floor_delete"
	MetricNodePodCreate   = "nodepod_create"
	MetricNodePodDelete   = "nodepod_delete"
	MetricCreateRatio     = "create_ratio"
	MetricDeleteRatio     = "delete_ratio"
	MetricLatencyP50      = "latency_p50"
	MetricLatencyP90      = "latency_p90"
	MetricLatencyP99      = "latency_p99"
	MetricProviderCPU     = "provider_cpu"
	MetricFloorServerCPU  = "floor_server_cpu"
	MetricServerCPU       = "nodepod_server_cpu"
	MetricProviderPeakRSS = "provider_peak_rss"
	MetricUnrelatedData   = "unrelated_data"

	MetricFloorServerWrites      = "floor_server_writes_per_pod"
	MetricServerWrites           = "nodepod_server_writes_per_nodepod"
	MetricFloorServerCPUPerWrite = "floor_server_cpu_per_write"
	MetricServerCPUPerWrite      = "nodepod_server_cpu_per_write"
	MetricMachineServerWrites    = "kubernetesmachine_server_writes_per_machine"
	MetricRequestsPerNode        = "api_requests_per_nodepod"

	MetricMachineCreate          = "kubernetesmachine_create"
	MetricMachineDelete          = "kubernetesmachine_delete"
	MetricMachineCreateRatio     = "kubernetesmachine_create_ratio"
	MetricMachineDeleteRatio     = "kubernetesmachine_delete_ratio"
	MetricMachineVsNodePodCreate = "kubernetesmachine_vs_nodepod_create"
	MetricMachineVsNodePodDelete = "kubernetesmachine_vs_nodepod_delete"
	MetricMachineLatencyP50      = "kubernetesmachine_latency_p50"
	MetricMachineLatencyP99      = "kubernetesmachine_latency_p99"
	MetricMachineAfterNodePodP50 = "kubernetesmachine_after_nodepod_p50"
	MetricMachineAfterNodePodP99 = "kubernetesmachine_after_nodepod_p99"
	MetricMachineProviderCPU     = "kubernetesmachine_provider_cpu"
	MetricMachineServerCPU       = "kubernetesmachine_server_cpu"
	MetricMachinePeakRSS         = "kubernetesmachine_provider_peak_rss"
	MetricRequestsPerMachine     = "api_requests_per_kubernetesmachine"
)

// A Row is one measured value.
type Row struct {
	Name  string
	Label string
	Value float64
	Unit  string
}

// A Target is one goal of the issue: Metric at most Limit, measured with Nodes NodePods (any number when 0).
type Target struct {
	Metric string
	Limit  float64
	Nodes  int
}

// Targets are the goals the provider is measured against.
var Targets = []Target{
	{Metric: MetricCreateRatio, Limit: 2, Nodes: 1000},
	{Metric: MetricDeleteRatio, Limit: 2, Nodes: 1000},
	{Metric: MetricLatencyP50, Limit: 0.3, Nodes: 100},
	{Metric: MetricLatencyP99, Limit: 1, Nodes: 100},
	{Metric: MetricRequestsPerNode, Limit: 10},
	{Metric: MetricProviderPeakRSS, Limit: 100},
}

// Rows are the values of r, in the order of the table: the floor, then each workload the run measured.
// The KubernetesMachine rows have no targets; they compare with the floor and the NodePods of the same run.
func (r *Result) Rows() []Row {
	n := float64(r.Nodes)
	rows := []Row{
		{MetricFloorCreate, fmt.Sprintf("floor: %d Pods created -> all Ready", r.Nodes), r.FloorCreate.Seconds(), "s"},
		{MetricFloorDelete, fmt.Sprintf("floor: %d Pods deleted -> all gone", r.Nodes), r.FloorDelete.Seconds(), "s"},
	}
	if r.Measures(WorkloadNodePod) {
		rows = append(rows,
			Row{MetricNodePodCreate, fmt.Sprintf("%d NodePods created -> all Ready", r.Nodes), r.NodePodCreate.Seconds(), "s"},
			Row{MetricNodePodDelete, fmt.Sprintf("%d NodePods deleted -> all gone", r.Nodes), r.NodePodDelete.Seconds(), "s"},
			Row{MetricCreateRatio, "create, NodePods / floor", ratio(r.NodePodCreate, r.FloorCreate), "x"},
			Row{MetricDeleteRatio, "delete, NodePods / floor", ratio(r.NodePodDelete, r.FloorDelete), "x"},
			Row{MetricLatencyP50, "Pod Ready -> NodePod Ready, p50", quantile(r.Latencies, 0.50).Seconds(), "s"},
			Row{MetricLatencyP90, "Pod Ready -> NodePod Ready, p90", quantile(r.Latencies, 0.90).Seconds(), "s"},
			Row{MetricLatencyP99, "Pod Ready -> NodePod Ready, p99", quantile(r.Latencies, 0.99).Seconds(), "s"},
			Row{MetricProviderCPU, "provider CPU, NodePod create + delete", r.ProviderCPU.Seconds(), "s"},
		)
	}
	rows = append(rows, Row{MetricFloorServerCPU, "kube-apiserver + etcd CPU, floor create + delete", r.FloorServerCPU.Seconds(), "s"})
	if r.Measures(WorkloadNodePod) {
		rows = append(rows,
			Row{MetricServerCPU, "kube-apiserver + etcd CPU, NodePod create + delete", r.NodePodServerCPU.Seconds(), "s"},
		)
	}
	rows = append(rows,
		Row{MetricFloorServerWrites, "kube-apiserver writes per Pod, floor", sum(r.FloorServerWrites) / n, "req"},
		Row{MetricFloorServerCPUPerWrite, "kube-apiserver + etcd CPU per write, floor", perWrite(r.FloorServerCPU, r.FloorServerWrites), "ms"},
	)
	if r.Measures(WorkloadNodePod) {
		rows = append(rows,
			Row{MetricServerWrites, "kube-apiserver writes per NodePod, its Pod's included", sum(r.NodePodServerWrites) / n, "req"},
			Row{MetricServerCPUPerWrite, "kube-apiserver + etcd CPU per write, NodePods", perWrite(r.NodePodServerCPU, r.NodePodServerWrites), "ms"},
		)
	}
	if r.UnrelatedBytes > 0 {
		rows = append(rows, Row{MetricUnrelatedData, "unrelated Secrets and ConfigMaps in the cluster, data", float64(r.UnrelatedBytes) / (1 << 20), "MiB"})
	}
	rows = append(rows, Row{MetricProviderPeakRSS, "provider peak RSS (VmHWM)", float64(r.ProviderPeakRSS) / (1 << 20), "MiB"})
	if r.Measures(WorkloadNodePod) {
		rows = append(rows, Row{MetricRequestsPerNode, "provider API requests per NodePod", sum(r.APIRequests) / n, "req"})
	}
	if r.Measures(WorkloadKubernetesMachine) {
		rows = append(rows,
			Row{MetricMachineCreate, fmt.Sprintf("%d KubernetesMachines created -> all provisioned", r.Nodes), r.MachineCreate.Seconds(), "s"},
			Row{MetricMachineDelete, fmt.Sprintf("%d KubernetesMachines deleted -> all gone", r.Nodes), r.MachineDelete.Seconds(), "s"},
			Row{MetricMachineCreateRatio, "create, KubernetesMachines / floor", ratio(r.MachineCreate, r.FloorCreate), "x"},
			Row{MetricMachineDeleteRatio, "delete, KubernetesMachines / floor", ratio(r.MachineDelete, r.FloorDelete), "x"},
		)
		if r.Measures(WorkloadNodePod) {
			rows = append(rows,
				Row{MetricMachineVsNodePodCreate, "create, KubernetesMachines / NodePods", ratio(r.MachineCreate, r.NodePodCreate), "x"},
				Row{MetricMachineVsNodePodDelete, "delete, KubernetesMachines / NodePods", ratio(r.MachineDelete, r.NodePodDelete), "x"},
			)
		}
		rows = append(rows,
			Row{MetricMachineLatencyP50, "Pod Ready -> KubernetesMachine provisioned, p50", quantile(r.MachineLatencies, 0.50).Seconds(), "s"},
			Row{MetricMachineLatencyP99, "Pod Ready -> KubernetesMachine provisioned, p99", quantile(r.MachineLatencies, 0.99).Seconds(), "s"},
			Row{MetricMachineAfterNodePodP50, "NodePod Ready -> KubernetesMachine provisioned, p50", quantile(r.MachineAfterNodePod, 0.50).Seconds(), "s"},
			Row{MetricMachineAfterNodePodP99, "NodePod Ready -> KubernetesMachine provisioned, p99", quantile(r.MachineAfterNodePod, 0.99).Seconds(), "s"},
			Row{MetricMachineProviderCPU, "provider CPU, KubernetesMachine create + delete", r.MachineProviderCPU.Seconds(), "s"},
			Row{MetricMachineServerCPU, "kube-apiserver + etcd CPU, KubernetesMachine create + delete", r.MachineServerCPU.Seconds(), "s"},
			Row{MetricMachinePeakRSS, "provider peak RSS, KubernetesMachine phases too (VmHWM)", float64(r.MachinePeakRSS) / (1 << 20), "MiB"},
			Row{MetricRequestsPerMachine, "provider API requests per KubernetesMachine", sum(r.MachineAPIRequests) / n, "req"},
			Row{MetricMachineServerWrites, "kube-apiserver writes per KubernetesMachine, the harness's included", sum(r.MachineServerWrites) / n, "req"},
		)
	}
	return rows
}

func sum(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s
}

// perWrite is cpu per write, in milliseconds; zero without writes.
func perWrite(cpu time.Duration, writes map[string]float64) float64 {
	w := sum(writes)
	if w == 0 {
		return 0
	}
	return float64(cpu.Milliseconds()) / w
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// quantile is the q-quantile of sorted durations, by the nearest-rank method.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// target is the goal for metric at r.Nodes, if there is one.
func (r *Result) target(metric string) (Target, bool) {
	for _, t := range Targets {
		if t.Metric == metric && (t.Nodes == 0 || t.Nodes == r.Nodes) {
			return t, true
		}
	}
	return Target{}, false
}

// Report writes r as a table for people and as BENCH lines for machines, with PASS or MISS for every target
// that applies at r.Nodes. A missed target is news, not an error.
func Report(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nbenchmark (%s), N=%d\n", strings.Join(r.Workloads, ", "), r.Nodes)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tUNIT\tTARGET\tRESULT")
	var lines []string
	for _, row := range r.Rows() {
		goal, verdict := "", ""
		line := fmt.Sprintf("BENCH n=%d name=%s value=%.4f unit=%s", r.Nodes, row.Name, row.Value, row.Unit)
		if t, ok := r.target(row.Name); ok {
			goal, verdict = fmt.Sprintf("<= %g", t.Limit), "PASS"
			if row.Value > t.Limit {
				verdict = "MISS"
			}
			line += fmt.Sprintf(" target=%g result=%s", t.Limit, verdict)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t%s\n", row.Label, row.Value, row.Unit, goal, verdict)
		lines = append(lines, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprint(&b, "kube-apiserver writes per Pod by resource, floor:")
	perObject(&b, r.FloorServerWrites, r.Nodes)
	if r.Measures(WorkloadNodePod) {
		fmt.Fprintf(&b, "NodePods Ready %d/%d, deleted %d/%d; provider API requests by method:", r.NodePodsReady, r.Nodes, r.NodePodsDeleted, r.Nodes)
		byMethod(&b, r.APIRequests)
		fmt.Fprint(&b, "kube-apiserver writes per NodePod by resource:")
		perObject(&b, r.NodePodServerWrites, r.Nodes)
	}
	if r.Measures(WorkloadKubernetesMachine) {
		fmt.Fprintf(&b, "KubernetesMachines provisioned %d/%d, deleted %d/%d; provider API requests by method:", r.MachinesProvisioned, r.Nodes, r.MachinesDeleted, r.Nodes)
		byMethod(&b, r.MachineAPIRequests)
		fmt.Fprint(&b, "kube-apiserver writes per KubernetesMachine by resource:")
		perObject(&b, r.MachineServerWrites, r.Nodes)
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func byMethod(b *strings.Builder, requests map[string]float64) {
	for _, m := range slices.Sorted(maps.Keys(requests)) {
		if requests[m] == 0 {
			continue
		}
		fmt.Fprintf(b, " %s=%.0f", m, requests[m])
	}
	b.WriteString("\n")
}

// perObject writes counts by key divided by n, largest first, leaving out those below one in a hundred
// objects.
func perObject(b *strings.Builder, counts map[string]float64, n int) {
	keys := slices.Collect(maps.Keys(counts))
	slices.SortFunc(keys, func(x, y string) int {
		if c := cmp.Compare(counts[y], counts[x]); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	for _, k := range keys {
		if v := counts[k] / float64(n); v >= 0.01 {
			fmt.Fprintf(b, " %s=%.2f", k, v)
		}
	}
	b.WriteString("\n")
}
