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

// Command kindnode-net is the pod network daemon of kindnode clusters (see package nodenet). It runs on every
// node as a host-network DaemonSet Pod.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

func main() {
	var (
		nodeName  = flag.String("node-name", os.Getenv("NODE_NAME"), "name of the node this runs on")
		podSubnet = flag.String("pod-subnet", os.Getenv("POD_SUBNET"), "the cluster's pod network, masqueraded when leaving it")
		confDir   = flag.String("cni-conf-dir", "/etc/cni/net.d", "where the CNI configuration is written")
		mtu       = flag.Int("mtu", 0, "MTU of pod interfaces (0: the plugin's default)")
		resync    = flag.Duration("resync", time.Minute, "how often routes and rules are checked even without changes")
	)
	flag.Parse()
	if err := run(*nodeName, *podSubnet, *confDir, *mtu, *resync); err != nil {
		fmt.Fprintf(os.Stderr, "kindnode-net: %v\n", err)
		os.Exit(1)
	}
}

func run(nodeName, podSubnet, confDir string, mtu int, resync time.Duration) error {
	if nodeName == "" {
		return fmt.Errorf("--node-name (or NODE_NAME) is required")
	}
	subnet, err := netip.ParsePrefix(podSubnet)
	if err != nil {
		return fmt.Errorf("--pod-subnet (or POD_SUBNET) %q: %w", podSubnet, err)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	factory := informers.NewSharedInformerFactory(cs, resync)
	nodes := factory.Core().V1().Nodes()
	changed := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poke, UpdateFunc: func(_, o any) { poke(o) }, DeleteFunc: poke,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	conf := filepath.Join(confDir, "10-kindnode.conflist")
	ticker := time.NewTicker(resync)
	defer ticker.Stop()
	for {
		all, err := nodes.Lister().List(labels.Everything())
		if err == nil {
			err = sync(ctx, nodeName, subnet, conf, mtu, all)
		}
		if err != nil {
			klog.ErrorS(err, "syncing the pod network")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-ticker.C:
		}
	}
}

func sync(ctx context.Context, self string, subnet netip.Prefix, conf string, mtu int, nodes []*corev1.Node) error {
	for _, n := range nodes {
		if n.Name != self {
			continue
		}
		data, err := nodenet.ConfList(n, mtu)
		if err != nil {
			return err
		}
		if data != nil {
			if wrote, err := nodenet.WriteFileIfChanged(conf, data); err != nil {
				return err
			} else if wrote {
				klog.InfoS("wrote CNI configuration", "path", conf, "podCIDRs", n.Spec.PodCIDRs)
			}
		}
	}
	if err := nodenet.SyncRoutes(ctx, nodenet.Exec, nodenet.Routes(self, nodes)); err != nil {
		return err
	}
	return nodenet.EnsureMasquerade(ctx, nodenet.Exec, subnet)
}
