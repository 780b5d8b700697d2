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
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flannelWrote is subnet.env as flanneld v0.28 writes it (pkg/subnet WriteSubnetFile) for an IPv4 network.
const flannelWrote = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=true\n"

func TestParseSubnetEnv(t *testing.T) {
	cases := map[string]struct {
		reason  string
		data    string
		want    SubnetEnv
		wantErr string
	}{
		"AsFlannelWritesIt": {
			reason: "every key flanneld writes for IPv4 is read",
			data:   flannelWrote,
			want: SubnetEnv{Network: netip.MustParsePrefix("10.244.0.0/16"), Subnet: netip.MustParsePrefix("10.244.1.1/24"),
				MTU: 1400, IPMasq: true},
		},
		"UnknownKeysAndBlankLines": {
			reason: "keys of other backends or of IPv6 are skipped, as are blank lines and comments",
			data:   "# flannel\n\nFLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_IPV6_NETWORK=fd00::/56\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1450\n",
			want:   SubnetEnv{Network: netip.MustParsePrefix("10.244.0.0/16"), Subnet: netip.MustParsePrefix("10.244.3.1/24"), MTU: 1450},
		},
		"Partial": {
			reason:  "a file flanneld has not finished is not taken for a configuration",
			data:    "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n",
			wantErr: "FLANNEL_MTU is missing",
		},
		"BadMTU": {
			reason:  "an MTU no IPv4 link can have is refused",
			data:    "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=50\n",
			wantErr: "FLANNEL_MTU=50: below the IPv4 minimum",
		},
		"NotANumber": {
			reason:  "the failing key and value are named",
			data:    "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=big\n",
			wantErr: "FLANNEL_MTU=big",
		},
		"SubnetOutsideNetwork": {
			reason:  "a subnet outside the pod network would route pods nowhere",
			data:    "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.9.1.1/24\nFLANNEL_MTU=1400\n",
			wantErr: "outside FLANNEL_NETWORK",
		},
		"NotKeyValue": {
			reason:  "a line without = is an error, not silently skipped",
			data:    "FLANNEL_NETWORK\n",
			wantErr: "not KEY=VALUE",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseSubnetEnv([]byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nParseSubnetEnv(): error %v, want one containing %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nParseSubnetEnv(): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("%s\nParseSubnetEnv(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestConfList(t *testing.T) {
	bridge := func(masq bool, mtu int, subnet string) map[string]any {
		return map[string]any{
			"type": "bridge", "bridge": "kindnode0", "isGateway": true, "hairpinMode": true, "ipMasq": masq,
			"mtu": float64(mtu),
			"ipam": map[string]any{
				"type": "host-local", "dataDir": "/run/cni-ipam-state",
				"ranges": []any{[]any{map[string]any{"subnet": subnet}}},
				"routes": []any{map[string]any{"dst": "0.0.0.0/0"}},
			},
		}
	}
	portmap := map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}}
	cases := map[string]struct {
		reason  string
		env     SubnetEnv
		want    map[string]any
		wantErr bool
	}{
		"FlannelMasquerades": {
			reason: "the bridge covers the node's subnet with flannel's MTU and leaves masquerading to flanneld",
			env:    SubnetEnv{Network: netip.MustParsePrefix("10.244.0.0/16"), Subnet: netip.MustParsePrefix("10.244.1.1/24"), MTU: 1400, IPMasq: true},
			want: map[string]any{"cniVersion": "1.0.0", "name": "kindnode",
				"plugins": []any{bridge(false, 1400, "10.244.1.0/24"), portmap}},
		},
		"BridgeMasquerades": {
			reason: "without flanneld's masquerading the bridge does it, as flannel's CNI plugin would",
			env:    SubnetEnv{Network: netip.MustParsePrefix("10.244.0.0/16"), Subnet: netip.MustParsePrefix("10.244.7.1/24"), MTU: 1350},
			want: map[string]any{"cniVersion": "1.0.0", "name": "kindnode",
				"plugins": []any{bridge(true, 1350, "10.244.7.0/24"), portmap}},
		},
		"NotChosen": {
			reason:  "no configuration before flanneld chose a subnet and an MTU",
			env:     SubnetEnv{},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := ConfList(tc.env)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%s\nConfList(): want an error, got %s", tc.reason, raw)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nConfList(): %v", tc.reason, err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nConfList(): -want, +got:\n%s", tc.reason, diff)
			}
		})
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
