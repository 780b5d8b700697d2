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

package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

// reachOptions configure the overlay's check.
type reachOptions struct {
	node          string
	statusAddress string
	interval      time.Duration
	timeout       time.Duration
	grace         time.Duration
}

// checkReach probes every peer through the overlay each interval, writes the verdict on this node's Node as
// NetworkUnavailable, and serves it on the status address.
func checkReach(ctx context.Context, o reachOptions) error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	cfg.UserAgent = "kindnode-net"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(cs, 0)
	nodes := factory.Core().V1().Nodes().Lister()
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	factory.WaitForCacheSync(ctx.Done())

	var (
		mu      sync.Mutex
		current *nodenet.Status
	)
	srv := &http.Server{
		Addr:              o.statusAddress,
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			s := current
			mu.Unlock()
			if r.URL.Path != nodenet.StatusPath {
				http.NotFound(w, r)
				return
			}
			if s == nil {
				// Not one round yet: the grace period has not even begun.
				http.Error(w, "the first probe round has not finished", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if err := json.NewEncoder(w).Encode(s); err != nil {
				klog.ErrorS(err, "serving the network status", "client", r.RemoteAddr)
			}
		}),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	defer func() { _ = srv.Close() }()

	reach := nodenet.NewReachability(o.grace)
	ticker := time.NewTicker(o.interval)
	defer ticker.Stop()
	for {
		all, err := nodes.List(labels.Everything())
		if err != nil {
			return err
		}
		peers := nodenet.Peers(o.node, all)
		s := reach.Record(time.Now(), peers, probe(ctx, peers, o.timeout))
		mu.Lock()
		current = &s
		mu.Unlock()
		if err := writeCondition(ctx, cs, nodes, o.node, s); err != nil {
			klog.ErrorS(err, "writing the NetworkUnavailable condition", "node", o.node)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-serveErr:
			return err
		case <-ticker.C:
		}
	}
}

// probe dials every peer at once, and returns each one's dial error.
func probe(ctx context.Context, peers []nodenet.Peer, timeout time.Duration) []error {
	errs := make([]error, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			d := net.Dialer{Timeout: timeout}
			c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(p.Addr, nodenet.ProbePort).String())
			if err == nil {
				_ = c.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// lister is the part of the Node lister writeCondition reads.
type lister interface {
	Get(name string) (*corev1.Node, error)
}

func writeCondition(ctx context.Context, cs kubernetes.Interface, nodes lister, name string, s nodenet.Status) error {
	n, err := nodes.Get(name)
	if err != nil {
		return err
	}
	c, write := nodenet.Condition(n, s, metav1.Now())
	if !write {
		return nil
	}
	// Node conditions merge by type, so a strategic merge patch touches only this one.
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.NodeCondition{c}}})
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().Nodes().PatchStatus(ctx, name, patch); err != nil {
		return err
	}
	klog.InfoS("wrote NetworkUnavailable", "node", name, "status", c.Status, "reason", c.Reason, "message", c.Message)
	return nil
}
