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

package clusterctl_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// seedVariables are the provider's own template variables every flavor offers.
var seedVariables = []string{
	"KUBERNETES_CONTROL_PLANE_SERVICE_TYPE",
	"KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST",
	"KUBERNETES_CONTROLLER_MACHINE_MEMORY_REQUEST",
	"KUBERNETES_WORKER_MACHINE_CPU_REQUEST",
	"KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST",
}

// generateArgs is the command the README gives, for one flavor ("" is the default one).
func generateArgs(flavor string, extra ...string) []string {
	args := []string{
		"generate", "cluster", "demo",
		"--infrastructure", "kubernetes",
		"--config", clusterctlConfig,
		"--kubernetes-version", "v1.37.2",
		"--control-plane-machine-count", "1",
		"--worker-machine-count", "1",
	}
	if flavor != "" {
		args = append(args, "--flavor", flavor)
	}
	return append(args, extra...)
}

func TestListVariables(t *testing.T) {
	cases := map[string]struct {
		reason   string
		flavor   string
		want     []string
		required []string
	}{
		"Default": {
			reason: "The default flavor should offer the seed variables.",
			want:   seedVariables,
		},
		"Persistent": {
			reason: "The persistent flavor should offer the seed variables and the etcd claim's size and class.",
			flavor: "persistent",
			want:   append(slices.Clone(seedVariables), "KUBERNETES_ETCD_STORAGE_SIZE", "KUBERNETES_STORAGE_CLASS"),
		},
		"Topology": {
			reason: "The topology flavor should offer the seed variables, passed on as ClusterClass variables.",
			flavor: "topology",
			want:   seedVariables,
		},
		"CRSCNI": {
			reason:   "The crs-cni flavor should offer the seed variables and require the CNI's manifests.",
			flavor:   "crs-cni",
			want:     seedVariables,
			required: []string{"CNI_RESOURCES"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := clusterctl(t, nil, generateArgs(tc.flavor, "--list-variables")...)
			for _, v := range tc.want {
				if !strings.Contains(out, v) {
					t.Errorf("%s\nclusterctl --list-variables does not list %s:\n%s", tc.reason, v, out)
				}
			}
			// Everything not set by clusterctl's flags has a default, but for what a flavor is about: the README's
			// command needs nothing else.
			required, _, _ := strings.Cut(out, "Optional Variables")
			for _, v := range tc.required {
				if !strings.Contains(required, v) {
					t.Errorf("%s\nclusterctl --list-variables does not require %s:\n%s", tc.reason, v, out)
				}
			}
			if tc.required == nil && strings.Contains(out, "Required Variables") {
				t.Errorf("%s\nthe flavor has required variables beyond clusterctl's flags:\n%s", tc.reason, out)
			}
		})
	}
}

// generated is the result of clusterctl generate cluster after the API server accepted it, by "Kind/name".
type generated map[string]*unstructured.Unstructured

func (g generated) get(t *testing.T, kindName string, fields ...string) any {
	t.Helper()
	u, ok := g[kindName]
	if !ok {
		t.Fatalf("clusterctl generated no %s", kindName)
	}
	v, _, err := unstructured.NestedFieldNoCopy(u.Object, fields...)
	if err != nil {
		t.Fatalf("%s: %v", kindName, err)
	}
	return v
}

// kubeletExtraArgs returns the kubelet flags at the given nodeRegistration as name=value.
func (g generated) kubeletExtraArgs(t *testing.T, kindName string, fields ...string) []string {
	t.Helper()
	list, _ := g.get(t, kindName, append(fields, "kubeletExtraArgs")...).([]any)
	var out []string
	for _, a := range list {
		m, _ := a.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%v", m["name"], m["value"]))
	}
	return out
}

// kindNodeKubeletArgs are the kubelet flags every node of every flavor gets.
var kindNodeKubeletArgs = []string{
	"provider-id=kubernetes://{{ ds.meta_data.namespace }}/{{ ds.meta_data.hostname }}",
	"fail-cgroupv1=false",
	"eviction-hard=nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%",
	"image-gc-high-threshold=100",
	"fail-swap-on=false",
	"cgroup-root=/kubelet",
	"runtime-cgroups=/system.slice/containerd.service",
}

// healthChecks are the MachineHealthCheck checks of the default and persistent flavors, with node conditions
// timing out after the given seconds.
func healthChecks(nodeTimeout int64) map[string]any {
	return map[string]any{
		"nodeStartupTimeoutSeconds": int64(600),
		"unhealthyNodeConditions": []any{
			map[string]any{"type": "Ready", "status": "Unknown", "timeoutSeconds": nodeTimeout},
			map[string]any{"type": "Ready", "status": "False", "timeoutSeconds": nodeTimeout},
		},
	}
}

func TestGeneratedClusterIsAccepted(t *testing.T) {
	type want struct {
		// kinds are the objects clusterctl generates, in order; nil skips the check.
		kinds []string
		// values returns what the generated objects should hold and what they hold, after the API server
		// accepted them (defaults applied, nulls dropped).
		values func(t *testing.T, g generated) (want, got any)
	}
	cases := map[string]struct {
		reason string
		flavor string
		vars   map[string]string
		want   want
	}{
		"Default": {
			reason: "The default flavor should be a Cluster with a kubeadm control plane and a MachineDeployment of kind node Pods.",
			want: want{
				kinds: []string{
					"Cluster/demo", "KubernetesCluster/demo",
					"KubeadmControlPlane/demo-control-plane", "KubernetesMachineTemplate/demo-control-plane",
					"MachineDeployment/demo-md-0", "KubernetesMachineTemplate/demo-md-0", "KubeadmConfigTemplate/demo-md-0",
					"MachineHealthCheck/demo-control-plane", "MachineHealthCheck/demo-md-0",
				},
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					want := map[string]any{
						"service type":       "ClusterIP",
						"control-plane cpu":  "500m",
						"control-plane mem":  "1Gi",
						"worker cpu":         "500m",
						"worker mem":         "1Gi",
						"replicas":           int64(1),
						"version":            "v1.37.2",
						"cri socket (init)":  "unix:///run/containerd/containerd.sock",
						"cri socket (join)":  "unix:///run/containerd/containerd.sock",
						"cri socket (md)":    "unix:///run/containerd/containerd.sock",
						"certSANs":           []any{"localhost", "127.0.0.1"},
						"pod cidrs":          []any{"10.244.0.0/16"},
						"service cidrs":      []any{"10.96.0.0/16"},
						"init kubelet flags": kindNodeKubeletArgs,
						"join kubelet flags": kindNodeKubeletArgs,
						"md kubelet flags":   kindNodeKubeletArgs,
						"cni on first cp":    true,
						"cp health checks":   healthChecks(300),
						"md health checks":   healthChecks(300),
						"cp health selector": map[string]any{"cluster.x-k8s.io/control-plane": ""},
						"md health selector": map[string]any{"cluster.x-k8s.io/deployment-name": "demo-md-0"},
					}
					kcp := "KubeadmControlPlane/demo-control-plane"
					got := map[string]any{
						"service type":       g.get(t, "KubernetesCluster/demo", "spec", "controlPlaneServiceType"),
						"control-plane cpu":  g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "resources", "requests", "cpu"),
						"control-plane mem":  g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "resources", "requests", "memory"),
						"worker cpu":         g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "resources", "requests", "cpu"),
						"worker mem":         g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "resources", "requests", "memory"),
						"replicas":           g.get(t, kcp, "spec", "replicas"),
						"version":            g.get(t, kcp, "spec", "version"),
						"cri socket (init)":  g.get(t, kcp, "spec", "kubeadmConfigSpec", "initConfiguration", "nodeRegistration", "criSocket"),
						"cri socket (join)":  g.get(t, kcp, "spec", "kubeadmConfigSpec", "joinConfiguration", "nodeRegistration", "criSocket"),
						"cri socket (md)":    g.get(t, "KubeadmConfigTemplate/demo-md-0", "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "criSocket"),
						"certSANs":           g.get(t, kcp, "spec", "kubeadmConfigSpec", "clusterConfiguration", "apiServer", "certSANs"),
						"pod cidrs":          g.get(t, "Cluster/demo", "spec", "clusterNetwork", "pods", "cidrBlocks"),
						"service cidrs":      g.get(t, "Cluster/demo", "spec", "clusterNetwork", "services", "cidrBlocks"),
						"init kubelet flags": g.kubeletExtraArgs(t, kcp, "spec", "kubeadmConfigSpec", "initConfiguration", "nodeRegistration"),
						"join kubelet flags": g.kubeletExtraArgs(t, kcp, "spec", "kubeadmConfigSpec", "joinConfiguration", "nodeRegistration"),
						"md kubelet flags":   g.kubeletExtraArgs(t, "KubeadmConfigTemplate/demo-md-0", "spec", "template", "spec", "joinConfiguration", "nodeRegistration"),
						"cni on first cp":    strings.Contains(fmt.Sprint(g.get(t, kcp, "spec", "kubeadmConfigSpec", "postKubeadmCommands")), "/kind/manifests/default-cni.yaml"),
						"cp health checks":   g.get(t, "MachineHealthCheck/demo-control-plane", "spec", "checks"),
						"md health checks":   g.get(t, "MachineHealthCheck/demo-md-0", "spec", "checks"),
						"cp health selector": g.get(t, "MachineHealthCheck/demo-control-plane", "spec", "selector", "matchLabels"),
						"md health selector": g.get(t, "MachineHealthCheck/demo-md-0", "spec", "selector", "matchLabels"),
					}
					return want, got
				},
			},
		},
		"DefaultWithVariables": {
			reason: "The seed variables should reach the KubernetesCluster and the machine templates.",
			vars: map[string]string{
				"KUBERNETES_CONTROL_PLANE_SERVICE_TYPE":        "NodePort",
				"KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST":    "2",
				"KUBERNETES_CONTROLLER_MACHINE_MEMORY_REQUEST": "4Gi",
				"KUBERNETES_WORKER_MACHINE_CPU_REQUEST":        "250m",
				"KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST":     "512Mi",
				"KUBERNETES_NODE_UNHEALTHY_TIMEOUT_SECONDS":    "60",
			},
			want: want{
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					want := []string{"NodePort", "2", "4Gi", "250m", "512Mi", fmt.Sprint(healthChecks(60)["unhealthyNodeConditions"])}
					got := []string{
						fmt.Sprint(g.get(t, "KubernetesCluster/demo", "spec", "controlPlaneServiceType")),
						fmt.Sprint(g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "resources", "requests", "cpu")),
						fmt.Sprint(g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "resources", "requests", "memory")),
						fmt.Sprint(g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "resources", "requests", "cpu")),
						fmt.Sprint(g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "resources", "requests", "memory")),
						fmt.Sprint(g.get(t, "MachineHealthCheck/demo-control-plane", "spec", "checks", "unhealthyNodeConditions")),
					}
					return want, got
				},
			},
		},
		"Persistent": {
			reason: "The persistent flavor should put control-plane etcd on a claim of the outer cluster's default StorageClass.",
			flavor: "persistent",
			want: want{
				kinds: []string{
					"Cluster/demo", "KubernetesCluster/demo",
					"KubeadmControlPlane/demo-control-plane", "KubernetesMachineTemplate/demo-control-plane",
					"MachineDeployment/demo-md-0", "KubernetesMachineTemplate/demo-md-0", "KubeadmConfigTemplate/demo-md-0",
					"MachineHealthCheck/demo-control-plane", "MachineHealthCheck/demo-md-0",
				},
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					// The API server dropped storageClassName: null and defaulted the access modes.
					want := map[string]any{
						"etcd":    map[string]any{"size": "2Gi", "accessModes": []any{"ReadWriteOnce"}},
						"reclaim": "Delete",
						"worker":  nil,
					}
					got := map[string]any{
						"etcd":    g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "persistence", "etcd"),
						"reclaim": g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "persistence", "reclaimPolicy"),
						"worker":  g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "persistence"),
					}
					return want, got
				},
			},
		},
		"PersistentWithStorageClass": {
			reason: "KUBERNETES_STORAGE_CLASS and KUBERNETES_ETCD_STORAGE_SIZE should shape the etcd claim.",
			flavor: "persistent",
			vars:   map[string]string{"KUBERNETES_STORAGE_CLASS": "fast-ssd", "KUBERNETES_ETCD_STORAGE_SIZE": "8Gi"},
			want: want{
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					want := map[string]any{"size": "8Gi", "storageClassName": "fast-ssd", "accessModes": []any{"ReadWriteOnce"}}
					got := g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "persistence", "etcd")
					return want, got
				},
			},
		},
		"CRSCNI": {
			reason: "The crs-cni flavor should be the default flavor whose machines disable the default CNI, and a ClusterResourceSet that brings CNI_RESOURCES to the Cluster.",
			flavor: "crs-cni",
			vars:   map[string]string{"CNI_RESOURCES": `{"cni.yaml": "kind: DaemonSet"}`},
			want: want{
				kinds: []string{
					"Cluster/demo", "KubernetesCluster/demo",
					"KubeadmControlPlane/demo-control-plane", "KubernetesMachineTemplate/demo-control-plane",
					"MachineDeployment/demo-md-0", "KubernetesMachineTemplate/demo-md-0", "KubeadmConfigTemplate/demo-md-0",
					"MachineHealthCheck/demo-control-plane", "MachineHealthCheck/demo-md-0",
					"ConfigMap/demo-cni", "ClusterResourceSet/demo-crs-cni",
				},
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					want := map[string]any{
						"cp disables":   true,
						"md disables":   true,
						"cni resources": map[string]any{"cni.yaml": "kind: DaemonSet"},
						"selects":       g.get(t, "Cluster/demo", "metadata", "labels"),
						"applies":       []any{map[string]any{"kind": "ConfigMap", "name": "demo-cni"}},
					}
					got := map[string]any{
						"cp disables":   g.get(t, "KubernetesMachineTemplate/demo-control-plane", "spec", "template", "spec", "disableDefaultCNI"),
						"md disables":   g.get(t, "KubernetesMachineTemplate/demo-md-0", "spec", "template", "spec", "disableDefaultCNI"),
						"cni resources": g.get(t, "ConfigMap/demo-cni", "data"),
						"selects":       g.get(t, "ClusterResourceSet/demo-crs-cni", "spec", "clusterSelector", "matchLabels"),
						"applies":       g.get(t, "ClusterResourceSet/demo-crs-cni", "spec", "resources"),
					}
					return want, got
				},
			},
		},
		"Topology": {
			reason: "The topology flavor should be a Cluster of ClusterClass kubernetes, which clusterctl adds with its templates.",
			flavor: "topology",
			want: want{
				kinds: []string{
					"ClusterClass/kubernetes", "KubernetesClusterTemplate/kubernetes-cluster",
					"KubeadmControlPlaneTemplate/kubernetes-control-plane", "KubernetesMachineTemplate/kubernetes-control-plane",
					"KubernetesMachineTemplate/kubernetes-default-worker", "KubeadmConfigTemplate/kubernetes-default-worker",
					"Cluster/demo",
				},
				values: func(t *testing.T, g generated) (any, any) {
					t.Helper()
					want := map[string]any{
						"class":    "kubernetes",
						"version":  "v1.37.2",
						"replicas": int64(1),
						"variables": []any{
							map[string]any{"name": "controlPlaneServiceType", "value": "ClusterIP"},
							map[string]any{"name": "controlPlaneMachineResources", "value": map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "1Gi"}}},
							map[string]any{"name": "workerMachineResources", "value": map[string]any{"requests": map[string]any{"cpu": "500m", "memory": "1Gi"}}},
						},
						"workers":            []any{map[string]any{"class": "default-worker", "name": "md-0", "replicas": int64(1)}},
						"init kubelet flags": kindNodeKubeletArgs,
						"join kubelet flags": kindNodeKubeletArgs,
						"md kubelet flags":   kindNodeKubeletArgs,
					}
					kcp := "KubeadmControlPlaneTemplate/kubernetes-control-plane"
					got := map[string]any{
						"class":              g.get(t, "Cluster/demo", "spec", "topology", "classRef", "name"),
						"version":            g.get(t, "Cluster/demo", "spec", "topology", "version"),
						"replicas":           g.get(t, "Cluster/demo", "spec", "topology", "controlPlane", "replicas"),
						"variables":          g.get(t, "Cluster/demo", "spec", "topology", "variables"),
						"workers":            g.get(t, "Cluster/demo", "spec", "topology", "workers", "machineDeployments"),
						"init kubelet flags": g.kubeletExtraArgs(t, kcp, "spec", "template", "spec", "kubeadmConfigSpec", "initConfiguration", "nodeRegistration"),
						"join kubelet flags": g.kubeletExtraArgs(t, kcp, "spec", "template", "spec", "kubeadmConfigSpec", "joinConfiguration", "nodeRegistration"),
						"md kubelet flags":   g.kubeletExtraArgs(t, "KubeadmConfigTemplate/kubernetes-default-worker", "spec", "template", "spec", "joinConfiguration", "nodeRegistration"),
					}
					return want, got
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs, err := decode([]byte(clusterctl(t, tc.vars, generateArgs(tc.flavor)...)))
			if err != nil {
				t.Fatalf("%s\ncannot decode clusterctl's output: %v", tc.reason, err)
			}
			g := generated{}
			var kinds []string
			for _, o := range objs {
				// clusterctl puts everything in the kubeconfig's namespace.
				if o.GetNamespace() != "default" {
					t.Errorf("%s\n%s is not in namespace default", tc.reason, ref(o))
				}
				// Strict: a field the CRD does not know is an error rather than silently dropped.
				if err := kube.Create(context.Background(), o, client.DryRunAll, client.FieldValidation("Strict")); err != nil {
					t.Errorf("%s\nthe API server rejects %s: %v", tc.reason, ref(o), err)
					continue
				}
				key := o.GetKind() + "/" + o.GetName()
				g[key] = o
				kinds = append(kinds, key)
			}
			if t.Failed() {
				return
			}
			if tc.want.kinds != nil {
				if diff := cmp.Diff(tc.want.kinds, kinds); diff != "" {
					t.Errorf("%s\nobjects: -want, +got:\n%s", tc.reason, diff)
				}
			}
			want, got := tc.want.values(t, g)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
