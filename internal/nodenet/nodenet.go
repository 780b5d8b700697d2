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

// Package nodenet is the CNI side of the pod network of kindnode clusters. flannel (VXLAN backend, kube subnet
// manager) carries pod traffic between nodes, wherever in the outer cluster their Pods run, and masquerades
// what leaves the pod network; it writes what it chose for this node into /run/flannel/subnet.env. flannel's
// CNI plugin, which turns that file into a bridge configuration, lives in a repository the Go module proxy
// does not serve, so this package does that plugin's job with the reference bridge and host-local plugins: a
// bridge over the node's subnet with flannel's MTU. With the flannel CNI plugin in the node image, this
// package and cmd/kindnode-net would go.
package nodenet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SubnetEnvPath is where flanneld writes the node's subnet and MTU.
const SubnetEnvPath = "/run/flannel/subnet.env"

// SubnetEnv is what flanneld wrote into subnet.env. IPv6 keys are not read: kindnode clusters are IPv4.
type SubnetEnv struct {
	// Network is the cluster's pod network (FLANNEL_NETWORK).
	Network netip.Prefix
	// Subnet is this node's share of it (FLANNEL_SUBNET, which names the gateway address, 10.244.1.1/24).
	Subnet netip.Prefix
	// MTU of pod interfaces (FLANNEL_MTU): the node's own interface's MTU less the overlay's overhead.
	MTU int
	// IPMasq tells whether flanneld masquerades traffic leaving the pod network (FLANNEL_IPMASQ).
	IPMasq bool
}

// ParseSubnetEnv reads subnet.env as flanneld writes it: KEY=VALUE lines.
func ParseSubnetEnv(data []byte) (SubnetEnv, error) {
	var (
		env  SubnetEnv
		seen = map[string]bool{}
	)
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return SubnetEnv{}, fmt.Errorf("line %q is not KEY=VALUE", line)
		}
		var err error
		switch k {
		case "FLANNEL_NETWORK":
			env.Network, err = netip.ParsePrefix(v)
		case "FLANNEL_SUBNET":
			env.Subnet, err = netip.ParsePrefix(v)
		case "FLANNEL_MTU":
			env.MTU, err = strconv.Atoi(v)
			if err == nil && env.MTU < 576 {
				err = fmt.Errorf("below the IPv4 minimum of 576")
			}
		case "FLANNEL_IPMASQ":
			env.IPMasq, err = strconv.ParseBool(v)
		default:
			continue
		}
		if err != nil {
			return SubnetEnv{}, fmt.Errorf("%s=%s: %w", k, v, err)
		}
		seen[k] = true
	}
	if err := s.Err(); err != nil {
		return SubnetEnv{}, err
	}
	for _, k := range []string{"FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU"} {
		if !seen[k] {
			return SubnetEnv{}, fmt.Errorf("%s is missing", k)
		}
	}
	if !env.Network.Contains(env.Subnet.Addr()) {
		return SubnetEnv{}, fmt.Errorf("FLANNEL_SUBNET %s is outside FLANNEL_NETWORK %s", env.Subnet, env.Network)
	}
	return env, nil
}

// ConfList returns the CNI configuration list for a node whose flanneld wrote env: what flannel's CNI plugin
// would hand to the bridge plugin. The bridge is the pods' gateway; flanneld routes the rest of the pod
// network through its VXLAN device and masquerades traffic that leaves it (when IPMasq, which the bridge then
// must not do as well).
func ConfList(env SubnetEnv) ([]byte, error) {
	if !env.Subnet.IsValid() || env.MTU <= 0 {
		return nil, fmt.Errorf("subnet %s, MTU %d: flanneld has not chosen them", env.Subnet, env.MTU)
	}
	return json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kindnode",
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      "kindnode0",
				"isGateway":   true,
				"hairpinMode": true,
				"ipMasq":      !env.IPMasq,
				"mtu":         env.MTU,
				"ipam": map[string]any{
					"type": "host-local",
					// Addresses are handed out anew after the node restarts, as its pods are.
					"dataDir": "/run/cni-ipam-state",
					"ranges":  [][]map[string]string{{{"subnet": env.Subnet.Masked().String()}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}, "", "  ")
}
