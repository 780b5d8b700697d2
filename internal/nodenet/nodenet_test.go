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
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name string, cidrs []string, ips ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDRs: cidrs}}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
	}
	return n
}

func TestRoutes(t *testing.T) {
	cases := map[string]struct {
		nodes []*corev1.Node
		want  []Route
	}{
		"OtherNodesOnly": {
			nodes: []*corev1.Node{
				node("cp", []string{"10.244.0.0/24"}, "172.18.0.2"),
				node("w1", []string{"10.244.2.0/24"}, "172.18.0.4"),
				node("w0", []string{"10.244.1.0/24"}, "172.18.0.3"),
			},
			want: []Route{
				{Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("172.18.0.3")},
				{Dst: netip.MustParsePrefix("10.244.2.0/24"), Via: netip.MustParseAddr("172.18.0.4")},
			},
		},
		"LegacyPodCIDRField": {
			nodes: []*corev1.Node{{
				ObjectMeta: metav1.ObjectMeta{Name: "w0"},
				Spec:       corev1.NodeSpec{PodCIDR: "10.244.1.0/24"},
				Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.3"}}},
			}},
			want: []Route{{Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("172.18.0.3")}},
		},
		"NotYetRoutable": {
			nodes: []*corev1.Node{
				node("no-cidr", nil, "172.18.0.3"),
				node("no-ip", []string{"10.244.2.0/24"}),
				node("wrong-family", []string{"fd00:10:244::/64"}, "172.18.0.5"),
				node("bad-cidr", []string{"nonsense"}, "172.18.0.6"),
			},
		},
		"DualStack": {
			nodes: []*corev1.Node{node("w0", []string{"10.244.1.0/24", "fd00:10:244:1::/64"}, "172.18.0.3", "fc00:f853:ccd:e793::3")},
			want: []Route{
				{Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("172.18.0.3")},
				{Dst: netip.MustParsePrefix("fd00:10:244:1::/64"), Via: netip.MustParseAddr("fc00:f853:ccd:e793::3")},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Routes("cp", tc.nodes)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Routes(): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestConfList(t *testing.T) {
	if got, err := ConfList(node("n", nil), 0); err != nil || got != nil {
		t.Fatalf("ConfList() of a node without PodCIDR = %s, %v; want nil, nil", got, err)
	}
	if _, err := ConfList(node("n", []string{"nonsense"}), 0); err == nil {
		t.Fatal("ConfList() of a node with an invalid PodCIDR: want an error")
	}
	raw, err := ConfList(node("n", []string{"10.244.1.7/24"}), 1400)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kindnode",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "kindnode0", "isGateway": true, "hairpinMode": true, "ipMasq": false,
				"mtu": float64(1400),
				"ipam": map[string]any{
					"type": "host-local", "dataDir": "/run/cni-ipam-state",
					"ranges": []any{[]any{map[string]any{"subnet": "10.244.1.0/24"}}},
					"routes": []any{map[string]any{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConfList(): -want, +got:\n%s", diff)
	}
}

// recorder answers `ip -j route show` with the given routes per family and records every other command.
type recorder struct {
	routes4, routes6 string
	failOn           string
	ran              []string
}

func (r *recorder) run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	if r.failOn != "" && strings.Contains(line, r.failOn) {
		return nil, errors.New("exit status 1: " + r.failOn)
	}
	switch {
	case strings.HasPrefix(line, "ip -j -4 route show"):
		return []byte(r.routes4), nil
	case strings.HasPrefix(line, "ip -j -6 route show"):
		return []byte(r.routes6), nil
	}
	r.ran = append(r.ran, line)
	return nil, nil
}

func TestSyncRoutes(t *testing.T) {
	r := &recorder{
		routes4: `[{"dst":"10.244.1.0/24","gateway":"172.18.0.3"},{"dst":"10.244.9.0/24","gateway":"172.18.0.9"}]`,
		routes6: ``,
	}
	want := []Route{
		{Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("172.18.0.3")},
		{Dst: netip.MustParsePrefix("10.244.2.0/24"), Via: netip.MustParseAddr("172.18.0.4")},
	}
	if err := SyncRoutes(context.Background(), r.run, want); err != nil {
		t.Fatal(err)
	}
	wantRan := []string{
		"ip -4 route del 10.244.9.0/24 proto 77",
		"ip route replace 10.244.1.0/24 via 172.18.0.3 proto 77",
		"ip route replace 10.244.2.0/24 via 172.18.0.4 proto 77",
	}
	if diff := cmp.Diff(wantRan, r.ran); diff != "" {
		t.Errorf("commands: -want, +got:\n%s", diff)
	}

	bad := &recorder{routes4: `not json`}
	if err := SyncRoutes(context.Background(), bad.run, want); err == nil {
		t.Error("SyncRoutes() with unparsable ip output: want an error")
	}
	failing := &recorder{failOn: "replace"}
	if err := SyncRoutes(context.Background(), failing.run, want); err == nil {
		t.Error("SyncRoutes() when ip route replace fails: want an error")
	}
}

func TestEnsureMasquerade(t *testing.T) {
	r := &recorder{failOn: "-C"} // no rule exists yet
	if err := EnsureMasquerade(context.Background(), r.run, netip.MustParsePrefix("10.244.0.0/16")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"iptables -w -t nat -N KINDNODE-MASQ",
		"iptables -w -t nat -A POSTROUTING -m comment --comment kindnode pod network -j KINDNODE-MASQ",
		"iptables -w -t nat -A KINDNODE-MASQ -d 10.244.0.0/16 -j RETURN",
		"iptables -w -t nat -A KINDNODE-MASQ -s 10.244.0.0/16 -j MASQUERADE",
	}
	if diff := cmp.Diff(want, r.ran); diff != "" {
		t.Errorf("commands: -want, +got:\n%s", diff)
	}
	// Rules in place: nothing is appended again.
	again := &recorder{}
	if err := EnsureMasquerade(context.Background(), again.run, netip.MustParsePrefix("10.244.0.0/16")); err != nil {
		t.Fatal(err)
	}
	wantChecks := []string{
		"iptables -w -t nat -N KINDNODE-MASQ",
		"iptables -w -t nat -C POSTROUTING -m comment --comment kindnode pod network -j KINDNODE-MASQ",
		"iptables -w -t nat -C KINDNODE-MASQ -d 10.244.0.0/16 -j RETURN",
		"iptables -w -t nat -C KINDNODE-MASQ -s 10.244.0.0/16 -j MASQUERADE",
	}
	if diff := cmp.Diff(wantChecks, again.ran); diff != "" {
		t.Errorf("commands with rules in place: -want, +got:\n%s", diff)
	}
}

func TestWriteFileIfChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "net.d", "10-kindnode.conflist")
	for i, tc := range []struct {
		data  string
		wrote bool
	}{{"a", true}, {"a", false}, {"b", true}} {
		wrote, err := WriteFileIfChanged(p, []byte(tc.data))
		if err != nil || wrote != tc.wrote {
			t.Errorf("write %d (%q) = %v, %v; want %v, nil", i, tc.data, wrote, err, tc.wrote)
		}
	}
}
