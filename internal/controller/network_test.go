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

package controller_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/nodenet"
)

// playedNode plays kindnode-net's status endpoint on this machine: no node runs next to a test API server. The
// API server's pods/proxy refuses loopback addresses, so it listens on one of the machine's own.
type playedNode struct {
	ip  string
	srv *http.Server

	mu     sync.Mutex
	status *nodenet.Status
}

func playNode(t *testing.T) *playedNode {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	n := &playedNode{}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			n.ip = ipn.IP.String()
			break
		}
	}
	if n.ip == "" {
		t.Fatalf("this machine has no IPv4 address but loopback ones (%v): the API server proxies to none of those", addrs)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(n.ip, strconv.Itoa(nodenet.StatusPort)))
	if err != nil {
		t.Fatal(err)
	}
	n.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if r.URL.Path != nodenet.StatusPath || n.status == nil {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		if err := json.NewEncoder(w).Encode(n.status); err != nil {
			t.Errorf("played node: %v", err)
		}
	})}
	go func() {
		if err := n.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("played node: %v", err)
		}
	}()
	t.Cleanup(func() { _ = n.srv.Close() })
	return n
}

func (n *playedNode) say(s *nodenet.Status) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.status = s
}

func conditionIs(np *v1alpha1.NodePod, ct xpv2.ConditionType, s corev1.ConditionStatus, r xpv2.ConditionReason) error {
	if c := np.Status.GetCondition(ct); c.Status != s || c.Reason != r {
		return fmt.Errorf("%s is %s %s (%s), want %s %s", ct, c.Status, c.Reason, c.Message, s, r)
	}
	return nil
}

// TestNodePodNetwork reads a node's own verdict on its pod network through the API server's pods/proxy, as
// the provider reads kindnode-net's: a broken network makes the NodePod not Ready, and a node that stops
// answering leaves Ready as it was.
func TestNodePodNetwork(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	node := playNode(t)
	for _, np := range []*v1alpha1.NodePod{
		newNodePod(ns, "node"),
		newNodePod(ns, "own-cni", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.DisableDefaultCNI = true }),
	} {
		if err := kube.Create(ctx, np); err != nil {
			t.Fatal(err)
		}
		var pod *corev1.Pod
		waitFor(t, "the node Pod "+np.Name, func() (err error) {
			pod, err = getPod(ns, np.Name)
			return err
		})
		markRunningReady(t, pod)
		pod.Status.PodIP = node.ip
		pod.Status.PodIPs = []corev1.PodIP{{IP: node.ip}}
		if err := kube.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}

	waitFor(t, "the NodePod Ready before its node says anything of its network", func() error {
		return conditionIs(getNodePod(t, ns, "node"), xpv2.TypeReady, corev1.ConditionTrue, xpv2.ReasonAvailable)
	})

	node.say(&nodenet.Status{Reason: nodenet.ReasonPeersReachable, Message: "reaches all 2 peers"})
	waitFor(t, "NetworkReady True", func() error {
		return conditionIs(getNodePod(t, ns, "node"), v1alpha1.TypeNetworkReady, corev1.ConditionTrue, v1alpha1.ReasonNetworkAvailable)
	})

	broken := "cannot reach 1 of 2 peers through the VXLAN overlay for 1m30s: b (10.244.1.0: i/o timeout)"
	node.say(&nodenet.Status{NetworkUnavailable: true, Reason: nodenet.ReasonPeersUnreachable, Message: broken})
	waitFor(t, "NetworkReady and Ready False, with the node's message", func() error {
		np := getNodePod(t, ns, "node")
		if err := conditionIs(np, v1alpha1.TypeNetworkReady, corev1.ConditionFalse, v1alpha1.ReasonNetworkUnavailable); err != nil {
			return err
		}
		if err := conditionIs(np, xpv2.TypeReady, corev1.ConditionFalse, v1alpha1.ReasonNetworkUnavailable); err != nil {
			return err
		}
		if c := np.Status.GetCondition(xpv2.TypeReady); c.Message != "the node Pod is ready, but its node says its pod network is broken: "+broken {
			return fmt.Errorf("Ready's message is %q", c.Message)
		}
		return nil
	})

	node.say(&nodenet.Status{Reason: nodenet.ReasonPeersReachable, Message: "reaches all 2 peers"})
	waitFor(t, "Ready again once the network is mended", func() error {
		return conditionIs(getNodePod(t, ns, "node"), xpv2.TypeReady, corev1.ConditionTrue, xpv2.ReasonAvailable)
	})

	_ = node.srv.Close()
	waitFor(t, "NetworkReady Unknown when the node stops answering, Ready unchanged", func() error {
		np := getNodePod(t, ns, "node")
		if err := conditionIs(np, v1alpha1.TypeNetworkReady, corev1.ConditionUnknown, v1alpha1.ReasonNetworkUnknown); err != nil {
			return err
		}
		return conditionIs(np, xpv2.TypeReady, corev1.ConditionTrue, xpv2.ReasonAvailable)
	})

	// The NodePod that brings its own CNI, at the same address, is never asked about a network it does not run.
	if c := getNodePod(t, ns, "own-cni").Status.GetCondition(v1alpha1.TypeNetworkReady); c.Reason != "" {
		t.Errorf("a NodePod with disableDefaultCNI has NetworkReady %s %s: %s", c.Status, c.Reason, c.Message)
	}
}
