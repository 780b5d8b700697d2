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

package kindcluster

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

func testCluster(t *testing.T, spec string) Cluster {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCluster("demo", "team-a", j)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var testEndpoint = Endpoint{Host: "10.96.0.20", Port: 6443}

// nodeMetaData is what the provider's bootstrap passes a node Pod's cloud-config.
func nodeMetaData(pod string) map[string]string {
	return map[string]string{"hostname": pod, "local_hostname": pod, "namespace": "team-a", "instance_id": "uid", "provider_id": "kubernetes://team-a/" + pod}
}

// runOnNode turns bootstrap data into the commands the provider would run in the node Pod.
func runOnNode(t *testing.T, data []byte, pod string) (files, modes map[string]string, commands [][]string) {
	t.Helper()
	cmds, err := bootstrap.Parse(bootstrap.FormatCloudConfig, data, bootstrap.Options{KubeadmIgnorePreflightErrors: true, MetaData: nodeMetaData(pod)})
	if err != nil {
		t.Fatalf("the provider cannot run the bootstrap data: %v\n%s", err, data)
	}
	files, modes = map[string]string{}, map[string]string{}
	for _, c := range cmds {
		// A file write is mkdir, the content streamed to a script whose last argument is the path, chmod
		// and chown.
		switch {
		case c.Stdin != nil:
			files[c.Argv[len(c.Argv)-1]] = string(c.Stdin)
		case c.Argv[0] == "chmod":
			modes[c.Argv[2]] = c.Argv[1]
		case c.Argv[0] == "mkdir" || c.Argv[0] == "chown":
		default:
			commands = append(commands, c.Argv)
		}
	}
	return files, modes, commands
}

// TestBootstrapData runs the direct mode's bootstrap data through the provider's own cloud-config parser,
// as a NodePod would, and checks the files and commands a node gets.
func TestBootstrapData(t *testing.T) {
	c := testCluster(t, "kubernetesVersion: v1.37.2\ncontrolPlane: {replicas: 3}\nworkers: {replicas: 0}\npodSubnet: 10.10.0.0/16")
	p := testPKI()
	hash, err := p.CACertHash()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Init", func(t *testing.T) {
		data, err := InitCloudConfig(c, p, testEndpoint)
		if err != nil {
			t.Fatal(err)
		}
		files, modes, cmds := runOnNode(t, data, "demo-control-plane-0")
		wantCmds := [][]string{
			{"kubeadm", "init", "--config", "/run/kubeadm/kubeadm.yaml", "--ignore-preflight-errors=all"},
			{"/bin/sh", "-c", "if [ -f /kind/manifests/default-cni.yaml ]; then for i in $(seq 150); do kubectl --kubeconfig=/etc/kubernetes/admin.conf get --raw=/readyz >/dev/null 2>&1 && break; sleep 2; done; sed -E \"s#[{][{] *[.]PodSubnet *[}][}]#10.10.0.0/16#g\" /kind/manifests/default-cni.yaml | kubectl --kubeconfig=/etc/kubernetes/admin.conf apply -f -; fi"},
		}
		if diff := cmp.Diff(wantCmds, cmds); diff != "" {
			t.Errorf("commands (-want +got):\n%s", diff)
		}
		for path, want := range map[string][]byte{
			"/etc/kubernetes/pki/ca.crt": p.CA.Cert, "/etc/kubernetes/pki/ca.key": p.CA.Key,
			"/etc/kubernetes/pki/etcd/ca.key": p.EtcdCA.Key, "/etc/kubernetes/pki/sa.key": p.ServiceAccount.Key,
			"/etc/kubernetes/pki/front-proxy-ca.crt": p.FrontProxyCA.Cert,
		} {
			if files[path] != string(want) {
				t.Errorf("%s: not the cluster's material", path)
			}
			if strings.HasSuffix(path, ".key") && modes[path] != "0600" {
				t.Errorf("%s has mode %s, want 0600", path, modes[path])
			}
		}
		docs := strings.Split(files["/run/kubeadm/kubeadm.yaml"], "---\n")
		if len(docs) != 4 {
			t.Fatalf("kubeadm.yaml has %d documents, want Init, Cluster, Kubelet and KubeProxy configurations", len(docs))
		}
		var init struct {
			BootstrapTokens  []map[string]any `json:"bootstrapTokens"`
			NodeRegistration struct {
				KubeletExtraArgs []map[string]string `json:"kubeletExtraArgs"`
				Taints           *[]any              `json:"taints"`
			} `json:"nodeRegistration"`
		}
		var cluster map[string]any
		var kubelet map[string]any
		for i, into := range []any{&init, &cluster, &kubelet} {
			if err := yaml.Unmarshal([]byte(docs[i]), into); err != nil {
				t.Fatal(err)
			}
		}
		if got := init.BootstrapTokens[0]["token"]; got != p.BootstrapToken {
			t.Errorf("bootstrap token %v, want the cluster's %s", got, p.BootstrapToken)
		}
		if got := init.NodeRegistration.KubeletExtraArgs[0]; got["value"] != "kubernetes://team-a/demo-control-plane-0" {
			t.Errorf("provider-id %v, want the node Pod's", got)
		}
		if init.NodeRegistration.Taints == nil || len(*init.NodeRegistration.Taints) != 0 {
			t.Errorf("taints %v: a cluster without workers must schedule on its control plane", init.NodeRegistration.Taints)
		}
		wantCluster := map[string]any{
			"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration", "clusterName": "demo",
			"kubernetesVersion": "v1.37.2", "controlPlaneEndpoint": "10.96.0.20:6443",
			"networking": map[string]any{"podSubnet": "10.10.0.0/16", "serviceSubnet": "10.96.0.0/16"},
			"apiServer":  map[string]any{"certSANs": []any{"localhost", "127.0.0.1", "10.96.0.20", "demo.team-a.svc", "demo.team-a.svc.cluster.local"}},
		}
		if diff := cmp.Diff(wantCluster, cluster); diff != "" {
			t.Errorf("ClusterConfiguration (-want +got):\n%s", diff)
		}
		if v, ok := kubelet["failCgroupV1"].(bool); !ok || v {
			t.Errorf("KubeletConfiguration %v must set failCgroupV1: false for cgroup v1 hosts", kubelet)
		}
	})

	for _, role := range []struct {
		name         string
		controlPlane bool
		wantFiles    int
	}{{"JoinControlPlane", true, 9}, {"JoinWorker", false, 1}} {
		t.Run(role.name, func(t *testing.T) {
			data, err := JoinCloudConfig(c, p, testEndpoint, role.controlPlane)
			if err != nil {
				t.Fatal(err)
			}
			files, _, cmds := runOnNode(t, data, "demo-node")
			if diff := cmp.Diff([][]string{{"kubeadm", "join", "--config", "/run/kubeadm/kubeadm-join-config.yaml", "--ignore-preflight-errors=all"}}, cmds); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if len(files) != role.wantFiles {
				t.Errorf("%d files written, want %d: %v", len(files), role.wantFiles, keysOf(files))
			}
			var join struct {
				Discovery struct {
					BootstrapToken struct {
						APIServerEndpoint string   `json:"apiServerEndpoint"`
						Token             string   `json:"token"`
						CACertHashes      []string `json:"caCertHashes"`
					} `json:"bootstrapToken"`
				} `json:"discovery"`
				ControlPlane *map[string]any `json:"controlPlane"`
			}
			if err := yaml.Unmarshal([]byte(files["/run/kubeadm/kubeadm-join-config.yaml"]), &join); err != nil {
				t.Fatal(err)
			}
			d := join.Discovery.BootstrapToken
			if d.APIServerEndpoint != "10.96.0.20:6443" || d.Token != p.BootstrapToken || len(d.CACertHashes) != 1 || d.CACertHashes[0] != hash {
				t.Errorf("discovery %+v, want the endpoint, the cluster's token and CA hash %s", d, hash)
			}
			if (join.ControlPlane != nil) != role.controlPlane {
				t.Errorf("controlPlane section present: %v, want %v", join.ControlPlane != nil, role.controlPlane)
			}
		})
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestKubeconfig checks that the kubeconfig reaches the endpoint, trusts the cluster CA and carries a
// client certificate of the cluster's administrators that the CA verifies.
func TestKubeconfig(t *testing.T) {
	p := testPKI()
	b, err := Kubeconfig(testCluster(t, "kubernetesVersion: v1.37.2"), p, Endpoint{Host: "fd00::1", Port: 6443})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(b)
	if err != nil {
		t.Fatalf("kubeconfig does not load: %v", err)
	}
	rest, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if rest.Host != "https://[fd00::1]:6443" {
		t.Errorf("server %s, want https://[fd00::1]:6443", rest.Host)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rest.CAData)
	cert, err := parseCert(rest.CertData)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify against the kubeconfig's CA: %v", err)
	}
	if diff := cmp.Diff([]string{"system:masters"}, cert.Subject.Organization); diff != "" {
		t.Errorf("client certificate groups (-want +got):\n%s", diff)
	}
}

// TestPKIFromSecretData checks that damaged material is refused with a message naming the part.
func TestPKIFromSecretData(t *testing.T) {
	other, err := RandomGenerator{}.NewPKI(testNow)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		change func(d map[string][]byte)
		want   string
	}{
		"Intact":          {change: func(map[string][]byte) {}},
		"MissingCA":       {change: func(d map[string][]byte) { delete(d, keyCACert) }, want: "ca: certificate is not PEM"},
		"ForeignKey":      {change: func(d map[string][]byte) { d[keyEtcdCAKey] = other.EtcdCA.Key }, want: "etcd-ca: private key does not belong to the certificate"},
		"ForeignAdmin":    {change: func(d map[string][]byte) { d[keyAdminCert], d[keyAdminKey] = other.Admin.Cert, other.Admin.Key }, want: "admin certificate is not signed by the cluster CA: x509: ECDSA verification failure"},
		"BadToken":        {change: func(d map[string][]byte) { d[keyBootstrapToken] = []byte("abcdef.0123") }, want: "bootstrap-token is not a kubeadm bootstrap token (<6 of [a-z0-9]>.<16 of [a-z0-9]>)"},
		"MissingSAPublic": {change: func(d map[string][]byte) { delete(d, keySAPub) }, want: "sa.pub is not PEM"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := testPKI().SecretData()
			tc.change(d)
			_, err := PKIFromSecretData(d)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("PKIFromSecretData: got error %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNewCluster checks defaults and that bad KindClusters get an error naming the field.
func TestNewCluster(t *testing.T) {
	cases := map[string]struct {
		name, namespace, spec string
		want                  string
	}{
		"Defaults":           {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2"}`},
		"Claim":              {name: "demo", spec: `{"kubernetesVersion":"v1.37.2","claimRef":{"namespace":"team-a"}}`},
		"ClusterScoped":      {name: "demo", spec: `{"kubernetesVersion":"v1.37.2"}`, want: "a cluster-scoped KindCluster composes namespaced resources and needs a namespace: create it through a claim (spec.claimRef.namespace)"},
		"Version":            {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"1.37"}`, want: `spec.kubernetesVersion "1.37" is not of the form vMAJOR.MINOR.PATCH, e.g. v1.37.2`},
		"EvenControlPlane":   {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","controlPlane":{"replicas":2}}`, want: "spec.controlPlane.replicas is 2: it must be odd (etcd needs a majority) and between 1 and 7"},
		"NoControlPlane":     {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","controlPlane":{"replicas":0}}`, want: "spec.controlPlane.replicas is 0: it must be odd (etcd needs a majority) and between 1 and 7"},
		"NegativeWorkers":    {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","workers":{"replicas":-1}}`, want: "spec.workers.replicas is -1: it must be between 0 and 100"},
		"OverlappingSubnets": {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","podSubnet":"10.96.0.0/12"}`, want: "spec.podSubnet 10.96.0.0/12 and spec.serviceSubnet 10.96.0.0/16 overlap"},
		"BadSubnet":          {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","serviceSubnet":"10.96.0.0"}`, want: `spec.serviceSubnet "10.96.0.0" is not a CIDR: netip.ParsePrefix("10.96.0.0"): no '/'`},
		"ServiceType":        {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","serviceType":"ExternalName"}`, want: `spec.serviceType "ExternalName" is not one of ClusterIP, NodePort, LoadBalancer`},
		"ProviderConfigKind": {name: "demo", namespace: "a", spec: `{"kubernetesVersion":"v1.37.2","providerConfigRef":{"kind":"Secret"}}`, want: `spec.providerConfigRef.kind "Secret" is not one of ClusterProviderConfig, ProviderConfig`},
		"LongName":           {name: strings.Repeat("a", 48), namespace: "a", spec: `{"kubernetesVersion":"v1.37.2"}`, want: `KindCluster name "` + strings.Repeat("a", 48) + `" is too long: node names (` + strings.Repeat("a", 48) + `-control-plane-6) must fit in 63 characters, so at most 47`},
		"NotAJSONSpec":       {name: "demo", namespace: "a", spec: `{"controlPlane":{"replicas":"three"}}`, want: "cannot read the KindCluster's spec: json: cannot unmarshal string into Go struct field ControlPlane.controlPlane.replicas of type int32"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := NewCluster(tc.name, tc.namespace, []byte(tc.spec))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("NewCluster: got error %q, want %q", got, tc.want)
			}
			if err == nil && (c.ControlPlaneReplicas() != 1 || c.WorkerReplicas() != 1 || c.Spec.PodSubnet != DefaultPodSubnet ||
				c.Spec.ServiceType != "ClusterIP" || c.Spec.ProviderConfigRef != (ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"})) {
				t.Errorf("defaults not applied: %+v", c.Spec)
			}
		})
	}
}

// TestParseInput checks the function's input.
func TestParseInput(t *testing.T) {
	cases := map[string]struct {
		input string
		want  string
	}{
		"CAPI":       {input: testInputCAPI},
		"Direct":     {input: testInputDirect},
		"None":       {want: "the function needs an input: apiVersion kindcluster.fn.kindnode.dev/v1alpha1, kind Input, mode capi or direct"},
		"OtherKind":  {input: "apiVersion: example.org/v1\nkind: Input\nmode: capi", want: "the function's input is example.org/v1 Input, not kindcluster.fn.kindnode.dev/v1alpha1 Input"},
		"BadMode":    {input: "apiVersion: kindcluster.fn.kindnode.dev/v1alpha1\nkind: Input\nmode: clusterapi", want: `the function's input has mode "clusterapi": it must be "capi" or "direct"`},
		"UnknownKey": {input: testInputCAPI + "\nworkers: 3", want: `cannot read the function's input: json: unknown field "workers"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseInput(newRequest(t, tc.input, kindCluster("  kubernetesVersion: v1.37.2\n"), nil))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("ParseInput: got error %q, want %q", got, tc.want)
			}
		})
	}
}
