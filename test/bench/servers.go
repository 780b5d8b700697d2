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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// serverRequestsMetric is kube-apiserver's count of the requests it served, labelled by verb, resource and
// subresource among others.
const serverRequestsMetric = "apiserver_request_total"

// writeVerbs are the verbs of serverRequestsMetric that write.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// servers are the outer cluster's kube-apiserver and etcd, which envtest starts and the harness finds among
// the machine's processes, so that it can tell how much CPU time they spent on each phase: on a machine as
// small as two cores they, not the provider, are what a phase mostly waits for.
type servers struct {
	pids []int
}

// findServers finds the kube-apiserver that serves host, a URL such as https://127.0.0.1:PORT, and the etcd
// it stores in.
func findServers(host string) (*servers, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, err
	}
	procs, err := commandLines()
	if err != nil {
		return nil, err
	}
	s := &servers{}
	var etcd string
	for pid, args := range procs {
		if filepath.Base(args[0]) != "kube-apiserver" || !contains(args, "--secure-port="+u.Port()) {
			continue
		}
		s.pids = append(s.pids, pid)
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--etcd-servers="); ok {
				etcd = v
			}
		}
	}
	if len(s.pids) == 0 || etcd == "" {
		return nil, fmt.Errorf("cannot find the kube-apiserver serving %s", host)
	}
	for pid, args := range procs {
		if filepath.Base(args[0]) != "etcd" {
			continue
		}
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--listen-client-urls="); ok && strings.Contains(v, etcd) {
				s.pids = append(s.pids, pid)
			}
		}
	}
	if len(s.pids) != 2 {
		return nil, fmt.Errorf("cannot find the etcd at %s", etcd)
	}
	return s, nil
}

// cpu is the CPU time the servers used so far.
func (s *servers) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range s.pids {
		d, err := cpuOf(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// commandLines are the arguments of every process the harness may read, by pid.
func commandLines() (map[int][]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int][]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		out[pid] = strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
	}
	return out, nil
}

func contains(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

// A writeCounter reads how many writes the outer kube-apiserver served so far, by verb and resource, from its
// metrics. Its CPU time is mostly spent on writes and on telling watchers of them, so writes per object are
// what a phase costs it.
type writeCounter struct {
	client *http.Client
	url    string
}

func newWriteCounter(cfg *rest.Config) (*writeCounter, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &writeCounter{client: c, url: strings.TrimSuffix(cfg.Host, "/") + "/metrics"}, nil
}

// writes scrapes the writes served so far by verb and resource.
func (w *writeCounter) writes(ctx context.Context) (map[string]float64, error) {
	b, err := get(ctx, w.client, w.url)
	if err != nil {
		return nil, fmt.Errorf("cannot scrape kube-apiserver's metrics: %w", err)
	}
	return parseServerWrites(bytes.NewReader(b))
}

// parseServerWrites sums the writes of serverRequestsMetric, of any code, by verb and resource: the resource,
// its API group when it has one and its subresource when the write was to one, as
// "PUT:nodepods.kindnode.dev/status".
func parseServerWrites(r io.Reader) (map[string]float64, error) {
	byResource, err := sumSeries(r, serverRequestsMetric, func(labels map[string]string) string {
		if !writeVerbs[labels["verb"]] {
			return ""
		}
		k := labels["verb"] + ":" + labels["resource"]
		if g := labels["group"]; g != "" {
			k += "." + g
		}
		if sub := labels["subresource"]; sub != "" {
			k += "/" + sub
		}
		return k
	})
	if err == nil && len(byResource) == 0 {
		err = fmt.Errorf("kube-apiserver's metrics have no writes in %s", serverRequestsMetric)
	}
	return byResource, err
}
