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

// Command kindnode-net writes a node's CNI configuration from what flanneld chose for it, and checks that the
// node reaches its peers through flannel's overlay, saying so on its Node and on a status endpoint (see
// package nodenet). It runs next to flanneld in the node image's default CNI DaemonSet, sharing /run/flannel
// and /etc/cni/net.d with the node.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"k8s.io/klog/v2"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

func main() {
	var (
		subnetEnv = flag.String("subnet-env", nodenet.SubnetEnvPath, "the subnet file flanneld writes")
		conf      = flag.String("cni-conf", "/etc/cni/net.d/10-kindnode.conflist", "the CNI configuration written from it")
		resync    = flag.Duration("resync", time.Minute, "how often the configuration is checked even without a change to the subnet file")
		reach     reachOptions
	)
	flag.StringVar(&reach.node, "node-name", "", "this node's Node; without it, reachability is not checked")
	flag.StringVar(&reach.statusAddress, "status-address", fmt.Sprintf(":%d", nodenet.StatusPort), "where the node's network status is served")
	flag.DurationVar(&reach.interval, "probe-interval", 10*time.Second, "how often every peer is probed")
	flag.DurationVar(&reach.timeout, "probe-timeout", 3*time.Second, "how long a probe waits for its peer")
	// Longer than the node lifecycle controller takes to call a silent node NotReady (50s), so that a lost
	// node stops being a peer before it counts as unreachable.
	flag.DurationVar(&reach.grace, "unreachable-after", 90*time.Second, "how long a peer fails its probes before the network is reported unavailable")
	klog.InitFlags(nil)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)

	errs := make(chan error, 2)
	go func() { errs <- run(ctx, *subnetEnv, *conf, *resync) }()
	if reach.node != "" {
		go func() { errs <- checkReach(ctx, reach) }()
	}
	// Either loop ending early is a failure; the kubelet restarts the container.
	err := <-errs
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kindnode-net: %v\n", err)
		os.Exit(1)
	}
}

// run writes the configuration whenever flanneld rewrites its subnet file (a restarted flanneld may choose
// another MTU), and every resync in case the configuration itself was removed.
func run(ctx context.Context, subnetEnv, conf string, resync time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer func() { _ = w.Close() }()
	// flanneld replaces the file by a rename, so the directory is watched, not the file.
	dir := filepath.Dir(subnetEnv)
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // flanneld's directory, which the node's other readers share.
		return err
	}
	if err := w.Add(dir); err != nil {
		return err
	}
	ticker := time.NewTicker(resync)
	defer ticker.Stop()
	for {
		if err := writeConf(subnetEnv, conf); err != nil {
			klog.ErrorS(err, "writing the CNI configuration", "subnetEnv", subnetEnv)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return err
		case <-w.Events:
			// Anything in flanneld's directory: reading the file again costs nothing.
		case <-ticker.C:
		}
	}
}

func writeConf(subnetEnv, conf string) error {
	data, err := os.ReadFile(subnetEnv) //nolint:gosec // The file flanneld writes, named by a flag.
	if errors.Is(err, fs.ErrNotExist) {
		klog.V(1).InfoS("waiting for flanneld", "subnetEnv", subnetEnv)
		return nil
	}
	if err != nil {
		return err
	}
	env, err := nodenet.ParseSubnetEnv(data)
	if err != nil {
		return err
	}
	list, err := nodenet.ConfList(env)
	if err != nil {
		return err
	}
	wrote, err := nodenet.WriteFileIfChanged(conf, list)
	if wrote {
		klog.InfoS("wrote the CNI configuration", "path", conf, "subnet", env.Subnet.Masked(), "mtu", env.MTU)
	}
	return err
}
