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
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// requestsMetric is client-go's count of API requests, labelled by code, host and method, which
// controller-runtime registers with the manager's metrics.
const requestsMetric = "rest_client_requests_total"

// A provider is the manager binary running against the outer cluster.
type provider struct {
	*process
	metricsURL string
	// pprofURL is where the provider serves pprof; empty when it does not.
	pprofURL string
}

// buildProvider builds ./cmd/provider into dir.
func buildProvider(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "provider")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/provider")
	cmd.Dir = testenv.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build ./cmd/provider: %w\n%s", err, b)
	}
	return out, nil
}

// startProvider runs the provider with metrics and probes, and with pprof when profile is set, on free loopback
// ports and waits until it is ready. A poll interval of an hour leaves the outer Pod watch as the only thing
// that can make a NodePod Ready.
func startProvider(ctx context.Context, bin, kubeconfig, dir string, profile bool, extra []string) (*provider, error) {
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	probes, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--poll=1h",
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probes),
	}
	pprofURL := ""
	if profile {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args = append(args, fmt.Sprintf("--pprof-bind-address=127.0.0.1:%d", port))
		pprofURL = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof", port)
	}
	args = append(args, extra...)
	proc, err := startProcess("provider", filepath.Join(dir, "provider.log"), bin, args...)
	if err != nil {
		return nil, err
	}
	p := &provider{process: proc, metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), pprofURL: pprofURL}
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", probes)
	deadline := time.Now().Add(time.Minute)
	for {
		if err := p.Alive(); err != nil {
			return nil, err
		}
		if ok(ctx, readyz) && ok(ctx, p.metricsURL) {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("the provider did not become ready within a minute\n%s", p.Tail(20))
		}
		select {
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ok(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// requests scrapes how many API requests the provider sent so far, by HTTP method.
func (p *provider) requests(ctx context.Context) (map[string]float64, error) {
	b, err := p.metrics(ctx)
	if err != nil {
		return nil, err
	}
	return parseRequests(bytes.NewReader(b))
}

// metrics scrapes the provider's metrics, in the Prometheus text format.
func (p *provider) metrics(ctx context.Context) ([]byte, error) {
	b, err := get(ctx, http.DefaultClient, p.metricsURL)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape the provider's metrics: %w", err)
	}
	return b, nil
}

// get reads what url serves through c; anything but 200 OK is an error.
func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// parseRequests sums requestsMetric by its method label from the Prometheus text format. Requests the API
// server refused or failed are counted apart, as METHOD(code): a conflict is a write based on a stale read,
// and that is worth seeing among the requests it wasted.
func parseRequests(r io.Reader) (map[string]float64, error) {
	byMethod, err := sumSeries(r, requestsMetric, func(labels map[string]string) string {
		k := labels["method"]
		if code := labels["code"]; code != "" && !strings.HasPrefix(code, "2") {
			k += "(" + code + ")"
		}
		return k
	})
	if err == nil && len(byMethod) == 0 {
		err = fmt.Errorf("the provider's metrics have no %s", requestsMetric)
	}
	return byMethod, err
}

// sumSeries adds up the series of the counter metric in the Prometheus text format of r under the key keyOf
// makes of each series' labels; it leaves out a series whose key is "".
func sumSeries(r io.Reader, metric string, keyOf func(labels map[string]string) string) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the metrics: %w", err)
	}
	sums := map[string]float64{}
	for _, m := range families[metric].GetMetric() {
		labels := make(map[string]string, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if k := keyOf(labels); k != "" {
			sums[k] += m.GetCounter().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return sums, nil
}
