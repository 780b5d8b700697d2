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

package bench_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/test/bench"
)

// TestHarness runs the whole benchmark, NodePods and KubernetesMachines, with a handful of nodes. It checks
// that the harness works end to end, not how fast the provider is: timings on a shared CI machine say little,
// and `make bench` reports them.
func TestHarness(t *testing.T) {
	const nodes = 5
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	var log strings.Builder
	res, err := bench.Run(ctx, bench.Config{Nodes: nodes, Provider: programs(t), PhaseTimeout: 2 * time.Minute, Log: &log})
	if err != nil {
		t.Fatalf("bench.Run: %v\n%s", err, log.String())
	}
	if res.NodePodsReady != nodes || res.NodePodsDeleted != nodes {
		t.Errorf("NodePods Ready %d and deleted %d, want %d each", res.NodePodsReady, res.NodePodsDeleted, nodes)
	}
	if len(res.Latencies) != nodes {
		t.Errorf("%d Pod Ready -> NodePod Ready latencies, want %d", len(res.Latencies), nodes)
	}
	if res.MachinesProvisioned != nodes || res.MachinesDeleted != nodes {
		t.Errorf("KubernetesMachines provisioned %d and deleted %d, want %d each", res.MachinesProvisioned, res.MachinesDeleted, nodes)
	}
	if len(res.MachineLatencies) != nodes {
		t.Errorf("%d Pod Ready -> KubernetesMachine provisioned latencies, want %d", len(res.MachineLatencies), nodes)
	}
	if len(res.MachineAfterNodePod) != nodes {
		t.Errorf("%d NodePod Ready -> KubernetesMachine provisioned latencies, want %d", len(res.MachineAfterNodePod), nodes)
	}
	// The NodePods' peak is read before the KubernetesMachine phases, the whole life's after them.
	if res.ProviderPeakRSS <= 0 || res.MachinePeakRSS < res.ProviderPeakRSS {
		t.Errorf("provider peak RSS %d after the NodePod phases, %d after the KubernetesMachine phases: want 0 < first <= second", res.ProviderPeakRSS, res.MachinePeakRSS)
	}
	// Every Pod is created, and every NodePod's status written, at least once.
	if res.FloorServerWrites["POST:pods"] != nodes || res.NodePodServerWrites["POST:pods"] != nodes {
		t.Errorf("kube-apiserver created %v Pods over the floor, %v over the NodePods; want %d each",
			res.FloorServerWrites["POST:pods"], res.NodePodServerWrites["POST:pods"], nodes)
	}
	if res.NodePodServerWrites["PUT:nodepods.kindnode.dev/status"] < nodes {
		t.Errorf("kube-apiserver wrote NodePod status %v times, want at least %d: %v", res.NodePodServerWrites["PUT:nodepods.kindnode.dev/status"], nodes, res.NodePodServerWrites)
	}
	if res.MachineAPIRequests["POST"] == 0 {
		t.Errorf("the provider sent no creates over the KubernetesMachine phases: %v", res.MachineAPIRequests)
	}

	var out strings.Builder
	if err := bench.Report(&out, res); err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Rows() {
		if !strings.Contains(out.String(), row.Label) || !strings.Contains(out.String(), "name="+row.Name+" ") {
			t.Errorf("report lacks %s:\n%s", row.Name, out.String())
		}
	}
	t.Log(out.String())

	t.Run("MemoryFlatWithUnrelatedObjects", func(t *testing.T) { memoryFlat(ctx, t, nodes, res) })
}

// unrelated is how many Secrets, and as many ConfigMaps, memoryFlat fills the cluster with: 5,000 objects,
// 40 MiB of data.
const unrelated = 2500

// memoryFlat runs the harness again as base ran, with unrelated Secrets and ConfigMaps in the cluster that are
// none of the provider's business, and checks that the provider's peak RSS over its whole life grew by less
// than a quarter of their data. Its KubernetesMachines read their bootstrap data Secrets: a provider whose
// client cached Secrets (controller-runtime's default) would list and hold every Secret from the first read
// on, all of their data and more. The provider reads them from the API server by name instead
// (controller.ClientOptions); TestUnrelatedSecretsAndConfigMapsAreNotCached shows it by its requests.
func memoryFlat(ctx context.Context, t *testing.T, nodes int, base *bench.Result) {
	t.Helper()
	var log strings.Builder
	res, err := bench.Run(ctx, bench.Config{Nodes: nodes, Provider: programs(t), PhaseTimeout: 2 * time.Minute, Log: &log, Unrelated: unrelated})
	if err != nil {
		t.Fatalf("bench.Run: %v\n%s", err, log.String())
	}
	if res.MachinesProvisioned != nodes {
		t.Fatalf("KubernetesMachines provisioned %d, want %d", res.MachinesProvisioned, nodes)
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	grew := res.MachinePeakRSS - base.MachinePeakRSS
	t.Logf("provider peak RSS %.1f MiB, %.1f MiB with %d Secrets and %d ConfigMaps (%.0f MiB of data) in the cluster: %+.1f MiB",
		mib(base.MachinePeakRSS), mib(res.MachinePeakRSS), unrelated, unrelated, mib(res.UnrelatedBytes), mib(grew))
	if grew > res.UnrelatedBytes/4 {
		t.Errorf("the provider's peak RSS grew by %.1f MiB with %.0f MiB of unrelated Secrets and ConfigMaps in the cluster, want less than a quarter of it: does it cache them?",
			mib(grew), mib(res.UnrelatedBytes))
	}
}

// programs checks that make test built what the harness runs before go test started, so that go test's
// timeout measures the tests alone, and returns the provider binary. kwok is hack/kwok.sh's, which the
// harness asks for again and then finds in its cache.
func programs(t *testing.T) string {
	t.Helper()
	provider := os.Getenv("KINDNODE_PROVIDER")
	kwok := os.Getenv("KWOK_DIR")
	if provider == "" || kwok == "" {
		t.Fatal("KINDNODE_PROVIDER or KWOK_DIR is not set: run the tests with make test, which builds bin/provider and runs hack/kwok.sh first")
	}
	for _, p := range []string{provider, filepath.Join(kwok, "kwok"), filepath.Join(kwok, "stages.yaml")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: make test builds it", err)
		}
	}
	return provider
}
