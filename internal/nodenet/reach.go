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

package nodenet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// flanneld programs a VXLAN device, routes and neighbour entries for every other node, and then says no more:
// when the outer cluster drops the encapsulated traffic (a firewall closed to UDP, an MTU too small, a node
// Pod's network namespace tampered with) every Node stays Ready while their Pods cannot reach each other. So
// each node checks that it reaches every peer through the overlay, and says on its Node when it does not, with
// the NetworkUnavailable condition CNIs set (it taints the Node, keeping new Pods off it), and on a status
// endpoint the provider reads from the outer cluster.

const (
	// StatusPort is where kindnode-net serves the node's network Status, on the node's address: the node Pod's
	// address in the outer cluster, where the provider reads it through the API server's pods/proxy.
	StatusPort = 10266
	// StatusPath is the path of the Status.
	StatusPath = "/network"

	// ProbePort is where a node is probed on its overlay address. The kubelet listens there on every address
	// of its node, the VXLAN device's included; a refused connection proves reachability just as well.
	ProbePort = 10250

	// ReasonPeersUnreachable is the NetworkUnavailable reason when a peer has not been reached for a while.
	ReasonPeersUnreachable = "PeersUnreachable"
	// ReasonPeersReachable is the reason when every peer is reached again after one was not.
	ReasonPeersReachable = "PeersReachable"

	// annotationPublicIP is what flannel's kube subnet manager records on a Node once it has set the node up:
	// until then the node has no overlay to probe.
	annotationPublicIP = "flannel.alpha.coreos.com/public-ip"
)

// A Peer is another node of the cluster, reached at the address of its VXLAN device: flannel gives that device
// the first address of the node's pod subnet, the subnet's own network address (10.244.1.0).
type Peer struct {
	Node string
	Addr netip.Addr
}

// Peers are the nodes other than self that the overlay should reach: those flannel has set up, and that are
// Ready. A node that is not Ready is not this node's problem: its kubelet says nothing, its Pod may be gone
// with its outer node, and the node lifecycle controller reports it.
func Peers(self string, nodes []*corev1.Node) []Peer {
	var peers []Peer
	for _, n := range nodes {
		if n.Name == self || n.Annotations[annotationPublicIP] == "" || !ready(n) {
			continue
		}
		subnet, err := netip.ParsePrefix(n.Spec.PodCIDR)
		if err != nil || !subnet.Addr().Is4() {
			continue
		}
		peers = append(peers, Peer{Node: n.Name, Addr: subnet.Masked().Addr()})
	}
	slices.SortFunc(peers, func(a, b Peer) int { return strings.Compare(a.Node, b.Node) })
	return peers
}

func ready(n *corev1.Node) bool {
	c := condition(n, corev1.NodeReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// condition is n's condition of type t; nil when n has none. (The provider's clients.NodeReady reads Ready
// the same way; kindnode-net stays clear of the provider's packages.)
func condition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// Reached tells whether a probe's dial error still proves the peer reachable: nil, or a refusal, which only
// the peer itself can send.
func Reached(err error) bool {
	return err == nil || errors.Is(err, syscall.ECONNREFUSED)
}

// Status is what a node says about its part of the pod network. Its JSON is what StatusPath serves.
type Status struct {
	// NetworkUnavailable is true when a peer has been unreachable for longer than the grace a Reachability
	// was given.
	NetworkUnavailable bool `json:"networkUnavailable"`
	// Reason is ReasonPeersUnreachable or ReasonPeersReachable.
	Reason string `json:"reason"`
	// Message names the unreachable peers, or how many peers were reached.
	Message string `json:"message"`
}

// Reachability remembers since when each peer has failed its probes. A peer counts as unreachable only after
// failing for the grace period: a node that just joined is reached once every flanneld has seen it, and a lost
// node stops being a peer once it is NotReady; neither should flap the condition.
type Reachability struct {
	grace   time.Duration
	failing map[string]failure
}

type failure struct {
	since time.Time
	err   error
}

// NewReachability returns a Reachability that calls a peer unreachable after it failed for grace.
func NewReachability(grace time.Duration) *Reachability {
	return &Reachability{grace: grace, failing: map[string]failure{}}
}

// Record takes one round of probes, the dial error of each peer by Peer, and returns the node's Status.
// Peers not in the round are forgotten.
func (r *Reachability) Record(now time.Time, peers []Peer, errs []error) Status {
	failing := map[string]failure{}
	var unreachable []string
	for i, p := range peers {
		if Reached(errs[i]) {
			continue
		}
		f, ok := r.failing[p.Node]
		if !ok {
			f.since = now
		}
		f.err = errs[i]
		failing[p.Node] = f
		if now.Sub(f.since) >= r.grace {
			unreachable = append(unreachable, fmt.Sprintf("%s (%s: %v)", p.Node, p.Addr, f.err))
		}
	}
	r.failing = failing
	if len(unreachable) > 0 {
		return Status{
			NetworkUnavailable: true,
			Reason:             ReasonPeersUnreachable,
			Message:            fmt.Sprintf("cannot reach %d of %d peers through the VXLAN overlay for %s: %s", len(unreachable), len(peers), r.grace, strings.Join(unreachable, "; ")),
		}
	}
	return Status{Reason: ReasonPeersReachable, Message: fmt.Sprintf("reaches all %d peers through the VXLAN overlay", len(peers))}
}

// Condition returns the NetworkUnavailable condition to write on node for s, and whether to write it. An
// unavailable network is written whenever the condition does not say it already; an available one only
// replaces a True: flanneld writes False when it starts, and this node adds nothing to that.
func Condition(node *corev1.Node, s Status, now metav1.Time) (corev1.NodeCondition, bool) {
	old := condition(node, corev1.NodeNetworkUnavailable)
	status := corev1.ConditionFalse
	if s.NetworkUnavailable {
		status = corev1.ConditionTrue
	}
	c := corev1.NodeCondition{
		Type:               corev1.NodeNetworkUnavailable,
		Status:             status,
		Reason:             s.Reason,
		Message:            s.Message,
		LastHeartbeatTime:  now,
		LastTransitionTime: now,
	}
	switch {
	case old == nil:
		return c, s.NetworkUnavailable
	case old.Status == status:
		c.LastTransitionTime = old.LastTransitionTime
		return c, s.NetworkUnavailable && (old.Reason != s.Reason || old.Message != s.Message)
	default:
		return c, s.NetworkUnavailable || old.Status == corev1.ConditionTrue
	}
}
