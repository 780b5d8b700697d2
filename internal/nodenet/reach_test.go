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
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, podCIDR string, readyStatus corev1.ConditionStatus, flannel bool) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{PodCIDR: podCIDR},
	}
	if flannel {
		n.Annotations = map[string]string{annotationPublicIP: "10.240.0.9"}
	}
	if readyStatus != "" {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: readyStatus}}
	}
	return n
}

func TestPeers(t *testing.T) {
	cases := map[string]struct {
		reason string
		nodes  []*corev1.Node
		want   []Peer
	}{
		"ReadyNodesFlannelSetUp": {
			reason: "every other Ready node flannel set up is a peer, at its subnet's network address, sorted by name",
			nodes: []*corev1.Node{
				node("c", "10.244.2.0/24", corev1.ConditionTrue, true),
				node("self", "10.244.0.0/24", corev1.ConditionTrue, true),
				node("b", "10.244.1.0/24", corev1.ConditionTrue, true),
			},
			want: []Peer{{Node: "b", Addr: netip.MustParseAddr("10.244.1.0")}, {Node: "c", Addr: netip.MustParseAddr("10.244.2.0")}},
		},
		"NotReadyOrLost": {
			reason: "a node whose kubelet is not posting Ready is left to the node lifecycle controller",
			nodes: []*corev1.Node{
				node("lost", "10.244.1.0/24", corev1.ConditionUnknown, true),
				node("notready", "10.244.2.0/24", corev1.ConditionFalse, true),
				node("new", "10.244.3.0/24", "", true),
			},
		},
		"NotSetUp": {
			reason: "a node without a pod subnet or flannel's annotation has no overlay address yet",
			nodes: []*corev1.Node{
				node("nocidr", "", corev1.ConditionTrue, true),
				node("noflannel", "10.244.1.0/24", corev1.ConditionTrue, false),
				node("ipv6", "fd00::/64", corev1.ConditionTrue, true),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Peers("self", tc.nodes), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("%s\nPeers(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReached(t *testing.T) {
	// A real refusal: nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	_, refused := net.DialTimeout("tcp", addr, time.Second)

	cases := map[string]struct {
		reason string
		err    error
		want   bool
	}{
		"Connected": {reason: "a connection is reachability", want: true},
		"Refused":   {reason: "only the peer can refuse", err: refused, want: true},
		"Timeout":   {reason: "silence is not", err: &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}},
		"NoRoute":   {reason: "nor is a missing route", err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Reached(tc.err); got != tc.want {
				t.Errorf("%s\nReached(%v) = %t, want %t", tc.reason, tc.err, got, tc.want)
			}
		})
	}
}

func TestReachability(t *testing.T) {
	b := Peer{Node: "b", Addr: netip.MustParseAddr("10.244.1.0")}
	c := Peer{Node: "c", Addr: netip.MustParseAddr("10.244.2.0")}
	timeout := errors.New("i/o timeout")
	t0 := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	type round struct {
		at    time.Duration
		peers []Peer
		errs  []error
	}
	cases := map[string]struct {
		reason string
		rounds []round
		want   Status
	}{
		"AllReached": {
			reason: "peers that answer make an available network",
			rounds: []round{{peers: []Peer{b, c}, errs: []error{nil, nil}}},
			want:   Status{Reason: ReasonPeersReachable, Message: "reaches all 2 peers through the VXLAN overlay"},
		},
		"FailingWithinGrace": {
			reason: "a peer failing for less than the grace period is not reported yet",
			rounds: []round{
				{peers: []Peer{b, c}, errs: []error{timeout, nil}},
				{at: 59 * time.Second, peers: []Peer{b, c}, errs: []error{timeout, nil}},
			},
			want: Status{Reason: ReasonPeersReachable, Message: "reaches all 2 peers through the VXLAN overlay"},
		},
		"FailingPastGrace": {
			reason: "a peer failing for the whole grace period is reported by name, address and error",
			rounds: []round{
				{peers: []Peer{b, c}, errs: []error{timeout, nil}},
				{at: 30 * time.Second, peers: []Peer{b, c}, errs: []error{timeout, nil}},
				{at: time.Minute, peers: []Peer{b, c}, errs: []error{timeout, nil}},
			},
			want: Status{
				NetworkUnavailable: true,
				Reason:             ReasonPeersUnreachable,
				Message:            "cannot reach 1 of 2 peers through the VXLAN overlay for 1m0s: b (10.244.1.0: i/o timeout)",
			},
		},
		"AnswerResetsTheClock": {
			reason: "one answer in between starts the grace period again",
			rounds: []round{
				{peers: []Peer{b}, errs: []error{timeout}},
				{at: 30 * time.Second, peers: []Peer{b}, errs: []error{nil}},
				{at: time.Minute, peers: []Peer{b}, errs: []error{timeout}},
			},
			want: Status{Reason: ReasonPeersReachable, Message: "reaches all 1 peers through the VXLAN overlay"},
		},
		"GonePeerForgotten": {
			reason: "a peer that left (NotReady, deleted) is forgotten, and starts afresh should it come back",
			rounds: []round{
				{peers: []Peer{b, c}, errs: []error{timeout, nil}},
				{at: 30 * time.Second, peers: []Peer{c}, errs: []error{nil}},
				{at: time.Minute, peers: []Peer{b, c}, errs: []error{timeout, nil}},
			},
			want: Status{Reason: ReasonPeersReachable, Message: "reaches all 2 peers through the VXLAN overlay"},
		},
		"NoPeers": {
			reason: "a node alone has nothing to reach",
			rounds: []round{{}},
			want:   Status{Reason: ReasonPeersReachable, Message: "reaches all 0 peers through the VXLAN overlay"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := NewReachability(time.Minute)
			var got Status
			for _, rd := range tc.rounds {
				got = r.Record(t0.Add(rd.at), rd.peers, rd.errs)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRecord(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCondition(t *testing.T) {
	then := metav1.NewTime(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	now := metav1.NewTime(then.Add(time.Hour))
	broken := Status{NetworkUnavailable: true, Reason: ReasonPeersUnreachable, Message: "cannot reach b"}
	fine := Status{Reason: ReasonPeersReachable, Message: "reaches all 1 peers"}
	withCondition := func(s corev1.ConditionStatus, reason, msg string) *corev1.Node {
		return &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
			{Type: corev1.NodeNetworkUnavailable, Status: s, Reason: reason, Message: msg, LastTransitionTime: then},
		}}}
	}
	cases := map[string]struct {
		reason    string
		node      *corev1.Node
		status    Status
		want      corev1.NodeCondition
		wantWrite bool
	}{
		"BrokenOnAFreshNode": {
			reason:    "an unavailable network is written where nothing was said yet",
			node:      &corev1.Node{},
			status:    broken,
			want:      corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: ReasonPeersUnreachable, Message: "cannot reach b", LastHeartbeatTime: now, LastTransitionTime: now},
			wantWrite: true,
		},
		"BrokenAfterFlannel": {
			reason:    "an unavailable network replaces flanneld's False",
			node:      withCondition(corev1.ConditionFalse, "FlannelIsUp", "Flannel is running on this node"),
			status:    broken,
			want:      corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: ReasonPeersUnreachable, Message: "cannot reach b", LastHeartbeatTime: now, LastTransitionTime: now},
			wantWrite: true,
		},
		"StillBroken": {
			reason: "the same verdict is not written again, nor does it move the transition time",
			node:   withCondition(corev1.ConditionTrue, ReasonPeersUnreachable, "cannot reach b"),
			status: broken,
			want:   corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: ReasonPeersUnreachable, Message: "cannot reach b", LastHeartbeatTime: now, LastTransitionTime: then},
		},
		"BrokenOtherwise": {
			reason:    "a new message is written, keeping the transition time",
			node:      withCondition(corev1.ConditionTrue, ReasonPeersUnreachable, "cannot reach c"),
			status:    broken,
			want:      corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue, Reason: ReasonPeersUnreachable, Message: "cannot reach b", LastHeartbeatTime: now, LastTransitionTime: then},
			wantWrite: true,
		},
		"Mended": {
			reason:    "a network that works again replaces the True",
			node:      withCondition(corev1.ConditionTrue, ReasonPeersUnreachable, "cannot reach b"),
			status:    fine,
			want:      corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: ReasonPeersReachable, Message: "reaches all 1 peers", LastHeartbeatTime: now, LastTransitionTime: now},
			wantWrite: true,
		},
		"FineAfterFlannel": {
			reason: "flanneld's False is left as it is",
			node:   withCondition(corev1.ConditionFalse, "FlannelIsUp", "Flannel is running on this node"),
			status: fine,
			want:   corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: ReasonPeersReachable, Message: "reaches all 1 peers", LastHeartbeatTime: now, LastTransitionTime: then},
		},
		"FineOnAFreshNode": {
			reason: "nor is a False written before flanneld wrote one",
			node:   &corev1.Node{},
			status: fine,
			want:   corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: ReasonPeersReachable, Message: "reaches all 1 peers", LastHeartbeatTime: now, LastTransitionTime: now},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, write := Condition(tc.node, tc.status, now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCondition(...): -want, +got:\n%s", tc.reason, diff)
			}
			if write != tc.wantWrite {
				t.Errorf("%s\nCondition(...): write = %t, want %t", tc.reason, write, tc.wantWrite)
			}
		})
	}
}

func ExampleReachability() {
	r := NewReachability(time.Minute)
	b := Peer{Node: "b", Addr: netip.MustParseAddr("10.244.1.0")}
	t0 := time.Now()
	fmt.Println(r.Record(t0, []Peer{b}, []error{errors.New("i/o timeout")}).NetworkUnavailable)
	fmt.Println(r.Record(t0.Add(time.Minute), []Peer{b}, []error{errors.New("i/o timeout")}).NetworkUnavailable)
	// Output:
	// false
	// true
}
