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

// Command bench runs the benchmark of test/bench once per node count and prints, for each, a table and BENCH
// lines with PASS or MISS against the provider's targets (the KubernetesMachine rows have none). It exits non-zero only when the harness
// itself fails, never for a missed target.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/test/bench"
)

func main() {
	var (
		nodes        = flag.String("nodes", "100,1000", "Comma-separated node counts; each runs in a fresh outer cluster.")
		provider     = flag.String("provider", "", "The provider binary; ./cmd/provider is built when empty.")
		parallelism  = flag.Int("parallelism", 16, "Creates or deletes in flight at once, in every phase.")
		timeout      = flag.Duration("phase-timeout", 10*time.Minute, "The longest a create or delete phase may take.")
		workDir      = flag.String("workdir", "", "Where kubeconfigs and logs go; a temporary directory, removed after success, when empty.")
		workloads    = flag.String("workloads", "nodepod,kubernetesmachine", "Comma-separated workloads measured after the floor: nodepod, kubernetesmachine or both.")
		profile      = flag.Bool("profile", false, "Collect CPU profiles of the provider and the outer kube-apiserver over the NodePod phases into --workdir (needs --workdir).")
		unrelated    = flag.Int("unrelated", 0, "Secrets, and as many ConfigMaps, of 8 KiB each created before the floor in a namespace of their own: none of the provider's business.")
		providerArgs []string
	)
	flag.Func("provider-arg", "An extra flag for the provider, e.g. --provider-arg=--max-reconcile-rate=200; repeatable.", func(s string) error {
		providerArgs = append(providerArgs, s)
		return nil
	})
	flag.Parse()
	if *profile && *workDir == "" {
		fmt.Fprintln(os.Stderr, "bench: --profile needs --workdir, where the profiles go")
		os.Exit(2)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *nodes, bench.Config{
		Provider:     *provider,
		ProviderArgs: providerArgs,
		Parallelism:  *parallelism,
		PhaseTimeout: *timeout,
		WorkDir:      *workDir,
		Log:          os.Stderr,
		Profile:      *profile,
		Workloads:    split(*workloads),
		Unrelated:    *unrelated,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func run(ctx context.Context, nodes string, cfg bench.Config) error {
	for _, s := range strings.Split(nodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("--nodes: %q is not a positive number", s)
		}
		c := cfg
		c.Nodes = n
		if c.WorkDir != "" {
			c.WorkDir = fmt.Sprintf("%s/n%d", cfg.WorkDir, n)
			if err := os.MkdirAll(c.WorkDir, 0o750); err != nil {
				return err
			}
		}
		res, err := bench.Run(ctx, c)
		if err != nil {
			return fmt.Errorf("with N=%d: %w", n, err)
		}
		if err := bench.Report(os.Stdout, res); err != nil {
			return err
		}
	}
	return nil
}
