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

// Package nodenet is the pod network of kindnode clusters: every node gets a CNI configuration for its own
// PodCIDR (a bridge + host-local), a route to every other node's PodCIDR through that node's InternalIP, and
// masquerading for traffic that leaves the pod network. This needs the nodes on one L2 segment, which is what
// kind nodes on one Docker network are, and kindnode Pods on one outer node, because the bridge puts that
// node's pods on one segment too.
package nodenet

import (
	"encoding/json"
	"net/netip"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Route sends traffic for a node's PodCIDR to that node.
type Route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// Routes returns the routes this node needs to reach every other node's pods, sorted by destination. Nodes
// without a PodCIDR or without an InternalIP of the PodCIDR's family are skipped: there is nothing to route
// to yet.
func Routes(self string, nodes []*corev1.Node) []Route {
	var rs []Route
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		for _, c := range podCIDRs(n) {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				continue
			}
			if via, ok := internalIP(n, p.Addr().Is4()); ok {
				rs = append(rs, Route{Dst: p.Masked(), Via: via})
			}
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Dst.String() < rs[j].Dst.String() })
	return rs
}

func podCIDRs(n *corev1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

func internalIP(n *corev1.Node, v4 bool) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err == nil && ip.Is4() == v4 {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// ConfList returns the CNI configuration list of a node whose pods get addresses from podCIDRs, or nil when the
// node has no PodCIDR yet.
func ConfList(n *corev1.Node, mtu int) ([]byte, error) {
	cidrs := podCIDRs(n)
	if len(cidrs) == 0 {
		return nil, nil
	}
	type rng struct {
		Subnet string `json:"subnet"`
	}
	type route struct {
		Dst string `json:"dst"`
	}
	ranges := make([][]rng, 0, len(cidrs))
	routes := make([]route, 0, len(cidrs))
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, []rng{{Subnet: p.Masked().String()}})
		if p.Addr().Is4() {
			routes = append(routes, route{Dst: "0.0.0.0/0"})
		} else {
			routes = append(routes, route{Dst: "::/0"})
		}
	}
	bridge := map[string]any{
		"type":        "bridge",
		"bridge":      "kindnode0",
		"isGateway":   true,
		"hairpinMode": true,
		"ipMasq":      false,
		"ipam": map[string]any{
			"type": "host-local",
			// Addresses are handed out anew after the node restarts, as its pods are.
			"dataDir": "/run/cni-ipam-state",
			"ranges":  ranges,
			"routes":  slices.Clip(routes),
		},
	}
	if mtu > 0 {
		bridge["mtu"] = mtu
	}
	return json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kindnode",
		"plugins": []any{
			bridge,
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}, "", "  ")
}
