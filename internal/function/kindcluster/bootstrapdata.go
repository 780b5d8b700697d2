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
	"fmt"
	"net"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Paths on the node. kubeadm reads its CAs and service account key from pkiDir when they exist.
const (
	pkiDir           = "/etc/kubernetes/pki"
	kubeadmInitPath  = "/run/kubeadm/kubeadm.yaml"
	kubeadmJoinPath  = "/run/kubeadm/kubeadm-join-config.yaml"
	criSocket        = "unix:///run/containerd/containerd.sock"
	kubeadmAPI       = "kubeadm.k8s.io/v1beta4"
	defaultCNI       = "/kind/manifests/default-cni.yaml"
	cloudConfigStart = "## template: jinja\n#cloud-config\n"
)

// Endpoint is where the inner API server is reached: the NodeService's address.
type Endpoint struct {
	Host string
	Port int32
}

// String is host:port, with brackets around an IPv6 host.
func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port))) }

// URL is the endpoint as a kubeconfig server.
func (e Endpoint) URL() string { return "https://" + e.String() }

// cloudConfig is the subset of cloud-config the provider's bootstrap runs (internal/bootstrap).
type cloudConfig struct {
	WriteFiles []writeFile `json:"write_files,omitempty"`
	RunCmd     []any       `json:"runcmd,omitempty"`
}

type writeFile struct {
	Path        string `json:"path"`
	Owner       string `json:"owner"`
	Permissions string `json:"permissions"`
	Content     string `json:"content"`
}

// kubeletExtraArgs are the kubelet flags a kind node in a Pod needs, as templates/cluster-template.yaml
// explains them; the provider's bootstrap fills in the ds.meta_data expressions with the node Pod's
// namespace and name.
func kubeletExtraArgs() []any {
	args := []struct{ name, value string }{
		{"provider-id", "kubernetes://{{ ds.meta_data.namespace }}/{{ ds.meta_data.hostname }}"},
		{"eviction-hard", "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%"},
		{"image-gc-high-threshold", "100"},
		{"fail-swap-on", "false"},
		{"cgroup-root", "/kubelet"},
		{"runtime-cgroups", "/system.slice/containerd.service"},
	}
	out := make([]any, 0, len(args))
	for _, a := range args {
		out = append(out, map[string]any{"name": a.name, "value": a.value})
	}
	return out
}

// nodeRegistration is kubeadm's nodeRegistration. A control plane without workers must run workloads, so
// its nodes then get no taint.
func nodeRegistration(c Cluster, controlPlane bool) map[string]any {
	nr := map[string]any{"criSocket": criSocket, "kubeletExtraArgs": kubeletExtraArgs()}
	if controlPlane && c.WorkerReplicas() == 0 {
		nr["taints"] = []any{}
	}
	return nr
}

// apiServerSANs are the names the API server's certificate must carry besides the ones kubeadm adds (the
// node's name and address, kubernetes.default...): the endpoint clients and joining nodes use.
func apiServerSANs(c Cluster, ep Endpoint) []any {
	sans := []any{"localhost", "127.0.0.1", ep.Host}
	// The NodeService's Service, by name, from inside the outer cluster.
	svc := c.Name + "." + c.Namespace + ".svc"
	return append(sans, svc, svc+".cluster.local")
}

// kubeadmInitConfig is the kubeadm configuration of the first control-plane node: the cluster itself, its
// bootstrap token (without expiry, so that workers can be added later; the function cannot rotate it), and
// the kubelet and kube-proxy settings every node then takes from the cluster.
func kubeadmInitConfig(c Cluster, p *PKI, ep Endpoint) ([]byte, error) {
	docs := []map[string]any{{
		"apiVersion": kubeadmAPI,
		"kind":       "InitConfiguration",
		"bootstrapTokens": []any{map[string]any{
			"token":       p.BootstrapToken,
			"description": "kindnode KindCluster " + c.Namespace + "/" + c.Name + ": joins nodes",
			"ttl":         "0s",
			"usages":      []any{"signing", "authentication"},
			"groups":      []any{"system:bootstrappers:kubeadm:default-node-token"},
		}},
		"nodeRegistration": nodeRegistration(c, true),
	}, {
		"apiVersion":           kubeadmAPI,
		"kind":                 "ClusterConfiguration",
		"clusterName":          c.Name,
		"kubernetesVersion":    c.Spec.KubernetesVersion,
		"controlPlaneEndpoint": ep.String(),
		"networking":           map[string]any{"podSubnet": c.Spec.PodSubnet, "serviceSubnet": c.Spec.ServiceSubnet},
		"apiServer":            map[string]any{"certSANs": apiServerSANs(c, ep)},
	}, {
		// The outer nodes run cgroup v1, which the kubelet refuses from 1.35 on unless told otherwise.
		"apiVersion":   "kubelet.config.k8s.io/v1beta1",
		"kind":         "KubeletConfiguration",
		"failCgroupV1": false,
	}, {
		// nf_conntrack_max is global to the host and read-only in a Pod's network namespace.
		"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
		"kind":       "KubeProxyConfiguration",
		"conntrack":  map[string]any{"maxPerCore": 0},
	}}
	return yamlDocuments(docs)
}

// kubeadmJoinConfig is the kubeadm configuration of every other node: it finds the cluster through the
// endpoint with the bootstrap token and trusts it by the CA's public key hash.
func kubeadmJoinConfig(c Cluster, p *PKI, ep Endpoint, controlPlane bool) ([]byte, error) {
	hash, err := p.CACertHash()
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"apiVersion": kubeadmAPI,
		"kind":       "JoinConfiguration",
		"discovery": map[string]any{"bootstrapToken": map[string]any{
			"apiServerEndpoint": ep.String(),
			"token":             p.BootstrapToken,
			"caCertHashes":      []any{hash},
		}},
		"nodeRegistration": nodeRegistration(c, controlPlane),
	}
	if controlPlane {
		doc["controlPlane"] = map[string]any{"localAPIEndpoint": map[string]any{"bindPort": 6443}}
	}
	return yamlDocuments([]map[string]any{doc})
}

// sharedCertFiles puts the cluster-wide keys where kubeadm looks for them. Every control-plane node gets all
// of them, as Cluster API's kubeadm control plane does, so that nodes join without kubeadm's uploaded
// certificates (which expire after two hours). Cluster API's secret.Certificates.AsFiles writes the same
// paths but certificates with mode 0640 and in another order, which would change the bootstrap data of
// running clusters.
func sharedCertFiles(p *PKI) []writeFile {
	f := func(name string, content []byte, private bool) writeFile {
		perm := "0644"
		if private {
			perm = "0600"
		}
		return writeFile{Path: pkiDir + "/" + name, Owner: "root:root", Permissions: perm, Content: string(content)}
	}
	return []writeFile{
		f("ca.crt", p.CA.Cert, false), f("ca.key", p.CA.Key, true),
		f("front-proxy-ca.crt", p.FrontProxyCA.Cert, false), f("front-proxy-ca.key", p.FrontProxyCA.Key, true),
		f("etcd/ca.crt", p.EtcdCA.Cert, false), f("etcd/ca.key", p.EtcdCA.Key, true),
		f("sa.pub", p.ServiceAccount.Cert, false), f("sa.key", p.ServiceAccount.Key, true),
	}
}

// applyCNI applies the node image's default CNI manifest (flannel), as kind does after kubeadm init.
// The manifest is a Go template of the Pod subnet; the sed pattern avoids literal double braces, which the
// provider's bootstrap would take for Jinja.
// admin.conf reaches the API server through the endpoint Service, which routes only to control-plane Pods
// whose readiness probe passed: right after kubeadm init that takes a few seconds, so it waits for /readyz
// first (up to 5 minutes) rather than failing and being retried a minute later. The cluster templates run
// the same command after kubeadm init.
func applyCNI(c Cluster) string {
	return fmt.Sprintf(`for i in $(seq 150); do kubectl --kubeconfig=/etc/kubernetes/admin.conf get --raw=/readyz >/dev/null 2>&1 && break; sleep 2; done; sed -E "s#[{][{] *[.]PodSubnet *[}][}]#%[2]s#g" %[1]s | kubectl --kubeconfig=/etc/kubernetes/admin.conf apply -f -`,
		defaultCNI, c.Spec.PodSubnet)
}

// installCNI applies the default CNI on a node image that has one.
func installCNI(c Cluster) string {
	return fmt.Sprintf("if [ -f %s ]; then %s; fi", defaultCNI, applyCNI(c))
}

// InitCloudConfig is the bootstrap data of the first control-plane node: kubeadm init with the function's
// CAs, then the CNI.
func InitCloudConfig(c Cluster, p *PKI, ep Endpoint) ([]byte, error) {
	cfg, err := kubeadmInitConfig(c, p, ep)
	if err != nil {
		return nil, err
	}
	files := append(sharedCertFiles(p), writeFile{Path: kubeadmInitPath, Owner: "root:root", Permissions: "0640", Content: string(cfg)})
	return marshalCloudConfig(cloudConfig{
		WriteFiles: files,
		RunCmd:     []any{[]any{"kubeadm", "init", "--config", kubeadmInitPath}, installCNI(c)},
	})
}

// JoinCloudConfig is the bootstrap data of the other nodes: kubeadm join, with the shared keys on
// control-plane nodes.
func JoinCloudConfig(c Cluster, p *PKI, ep Endpoint, controlPlane bool) ([]byte, error) {
	cfg, err := kubeadmJoinConfig(c, p, ep, controlPlane)
	if err != nil {
		return nil, err
	}
	var files []writeFile
	if controlPlane {
		files = sharedCertFiles(p)
	}
	files = append(files, writeFile{Path: kubeadmJoinPath, Owner: "root:root", Permissions: "0640", Content: string(cfg)})
	return marshalCloudConfig(cloudConfig{
		WriteFiles: files,
		RunCmd:     []any{[]any{"kubeadm", "join", "--config", kubeadmJoinPath}},
	})
}

func marshalCloudConfig(cc cloudConfig) ([]byte, error) {
	b, err := yaml.Marshal(cc)
	if err != nil {
		return nil, errors.Wrap(err, "cannot write cloud-config")
	}
	return append([]byte(cloudConfigStart), b...), nil
}

func yamlDocuments(docs []map[string]any) ([]byte, error) {
	parts := make([]string, 0, len(docs))
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return nil, errors.Wrap(err, "cannot write kubeadm configuration")
		}
		parts = append(parts, string(b))
	}
	return []byte(strings.Join(parts, "---\n")), nil
}
