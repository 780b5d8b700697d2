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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// templateVariable is a clusterctl variable: ${NAME} or ${NAME:=default}.
var templateVariable = regexp.MustCompile(`\$\{([A-Z_]+)(?::=([^}]*))?\}`)

// clusterTemplate renders templates/<file> as clusterctl would, into objects by kind and name.
func clusterTemplate(t *testing.T, file string, vars map[string]string) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../../templates/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	text := templateVariable.ReplaceAllStringFunc(string(raw), func(m string) string {
		sub := templateVariable.FindStringSubmatch(m)
		if v, ok := vars[sub[1]]; ok {
			return v
		}
		if strings.Contains(m, ":=") {
			return sub[2]
		}
		missing = append(missing, sub[1])
		return m
	})
	if len(missing) > 0 {
		t.Fatalf("template variables without a value: %v", missing)
	}
	out := map[string]map[string]any{}
	for _, doc := range strings.Split(text, "\n---\n") {
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(j, &o); err != nil {
			t.Fatal(err)
		}
		md := o["metadata"].(map[string]any)
		out[o["kind"].(string)+"/"+md["name"].(string)] = o
	}
	return out
}

// desiredObjects returns the desired composed resources of rsp by kind and name, as plain JSON values.
func desiredObjects(t *testing.T, rsp *fnv1.RunFunctionResponse) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range rsp.GetDesired().GetResources() {
		j, err := r.GetResource().MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(j, &o); err != nil {
			t.Fatal(err)
		}
		out[o["kind"].(string)+"/"+o["metadata"].(map[string]any)["name"].(string)] = o
	}
	return out
}

func run(t *testing.T, f *Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction: %v", err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("RunFunction: fatal result: %s", r.GetMessage())
		}
	}
	return rsp
}

// TestCAPIMatchesClusterTemplate checks that the capi mode composes what clusterctl generates from
// templates/cluster-template.yaml for the same values, so that the two stay one cluster shape. The only
// difference is by design: machine template names carry a hash of their content.
func TestCAPIMatchesClusterTemplate(t *testing.T) {
	xr := kindCluster(`  kubernetesVersion: v1.37.2
  controlPlane:
    replicas: 3
    resources: {requests: {cpu: 500m, memory: 1Gi}}
  workers:
    replicas: 2
    resources: {requests: {cpu: 500m, memory: 1Gi}}
`)
	rsp := run(t, &Function{}, newRequest(t, testInputCAPI, xr, nil))
	got := desiredObjects(t, rsp)

	want := clusterTemplate(t, "cluster-template.yaml", map[string]string{
		"CLUSTER_NAME": "demo", "NAMESPACE": "team-a", "KUBERNETES_VERSION": "v1.37.2",
		"CONTROL_PLANE_MACHINE_COUNT": "3", "WORKER_MACHINE_COUNT": "2",
	})
	// Follow the hashed machine template names into the template's objects.
	for _, prefix := range []string{"demo-control-plane", "demo-md-0"} {
		var hashed string
		for key := range got {
			if name, ok := strings.CutPrefix(key, "KubernetesMachineTemplate/"); ok && strings.HasPrefix(name, prefix+"-") && len(name) == len(prefix)+9 {
				hashed = name
			}
		}
		if hashed == "" {
			t.Fatalf("no KubernetesMachineTemplate named %s-<hash> in %v", prefix, keys(got))
		}
		o := want["KubernetesMachineTemplate/"+prefix]
		delete(want, "KubernetesMachineTemplate/"+prefix)
		o["metadata"].(map[string]any)["name"] = hashed
		want["KubernetesMachineTemplate/"+hashed] = o
	}
	setPath(want["KubeadmControlPlane/demo-control-plane"], "spec.machineTemplate.spec.infrastructureRef.name", nameOf(t, got, "demo-control-plane-"))
	setPath(want["MachineDeployment/demo-md-0"], "spec.template.spec.infrastructureRef.name", nameOf(t, got, "demo-md-0-"))

	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capi mode differs from templates/cluster-template.yaml (-template +function):\n%s", diff)
	}
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func nameOf(t *testing.T, objs map[string]map[string]any, prefix string) string {
	t.Helper()
	for key := range objs {
		if name, ok := strings.CutPrefix(key, "KubernetesMachineTemplate/"); ok && strings.HasPrefix(name, prefix) {
			return name
		}
	}
	t.Fatalf("no KubernetesMachineTemplate %s*", prefix)
	return ""
}

func setPath(o map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		o = o[p].(map[string]any)
	}
	o[parts[len(parts)-1]] = v
}

func getPath(o map[string]any, path string) any {
	var v any = o
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestCAPIScale checks that replicas reach the KubeadmControlPlane and MachineDeployment in both
// directions, that Cluster API is left to add and remove the Machines (the composed set never changes),
// and that a change of node resources moves the nodes to a new machine template.
func TestCAPIScale(t *testing.T) {
	spec := func(cp, workers int, cpu string) string {
		return kindCluster("  kubernetesVersion: v1.37.2\n" +
			"  controlPlane: {replicas: " + itoa(cp) + "}\n" +
			"  workers: {replicas: " + itoa(workers) + ", resources: {requests: {cpu: " + cpu + "}}}\n")
	}
	type replicas struct {
		ControlPlane, Workers any
		WorkerTemplate        string
		Names                 []string
	}
	summarize := func(t *testing.T, rsp *fnv1.RunFunctionResponse) replicas {
		t.Helper()
		got := desiredObjects(t, rsp)
		var names []string
		for k := range got {
			names = append(names, k)
		}
		return replicas{
			ControlPlane:   getPath(got["KubeadmControlPlane/demo-control-plane"], "spec.replicas"),
			Workers:        getPath(got["MachineDeployment/demo-md-0"], "spec.replicas"),
			WorkerTemplate: getPath(got["MachineDeployment/demo-md-0"], "spec.template.spec.infrastructureRef.name").(string),
			Names:          names,
		}
	}
	before := summarize(t, run(t, &Function{}, newRequest(t, testInputCAPI, spec(1, 1, "500m"), nil)))
	// The second call sees the first call's objects as observed, as Crossplane would pass them.
	observed := map[string]*structpb.Struct{}
	for name, r := range run(t, &Function{}, newRequest(t, testInputCAPI, spec(1, 1, "500m"), nil)).GetDesired().GetResources() {
		observed[name] = r.GetResource()
	}

	cases := map[string]struct {
		reason string
		xr     string
		want   func(replicas) replicas
	}{
		"ScaleUp": {
			reason: "1 to 3 control-plane nodes and 1 to 3 workers only change the replicas.",
			xr:     spec(3, 3, "500m"),
			want: func(r replicas) replicas {
				r.ControlPlane, r.Workers = 3.0, 3.0
				return r
			},
		},
		"ScaleWorkersToZero": {
			reason: "Workers scale down to none; Cluster API deletes the Machines.",
			xr:     spec(1, 0, "500m"),
			want: func(r replicas) replicas {
				r.Workers = 0.0
				return r
			},
		},
		"NewResources": {
			reason: "New worker resources make a new machine template, which replaces the old one.",
			xr:     spec(1, 1, "1"),
			want: func(r replicas) replicas {
				// The hash of the template's spec, {"resources":{"requests":{"cpu":"1"}}}.
				sum := sha256.Sum256([]byte(`{"resources":{"requests":{"cpu":"1"}}}`))
				r.WorkerTemplate = "demo-md-0-" + hex.EncodeToString(sum[:])[:8]
				for i, n := range r.Names {
					if strings.HasPrefix(n, "KubernetesMachineTemplate/demo-md-0-") {
						r.Names[i] = "KubernetesMachineTemplate/" + r.WorkerTemplate
					}
				}
				return r
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			base := before
			base.Names = append([]string(nil), before.Names...)
			want := tc.want(base)
			got := summarize(t, run(t, &Function{}, newRequest(t, testInputCAPI, tc.xr, observed)))
			sortStrings(want.Names)
			sortStrings(got.Names)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCAPIStatus checks what the capi mode reads back from Cluster API into the KindCluster's status.
func TestCAPIStatus(t *testing.T) {
	xr := kindCluster("  kubernetesVersion: v1.37.2\n  controlPlane: {replicas: 3}\n  workers: {replicas: 2}\n")
	cluster := func(status string) *structpb.Struct {
		return withStatus(t, object(t, `apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: demo, namespace: team-a}
spec:
  controlPlaneEndpoint: {host: 10.96.12.34, port: 6443}
`), status)
	}
	controlPlane := func(ready int) *structpb.Struct {
		return withStatus(t, object(t, "apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\nmetadata: {name: demo-control-plane, namespace: team-a}"),
			"replicas: 3\nreadyReplicas: "+itoa(ready)+"\nconditions: [{type: Available, status: 'True'}]")
	}
	workers := func(ready int) *structpb.Struct {
		return withStatus(t, object(t, "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\nmetadata: {name: demo-md-0, namespace: team-a}"),
			"replicas: 2\nreadyReplicas: "+itoa(ready)+"\nconditions: [{type: Available, status: 'True'}]")
	}
	cases := map[string]struct {
		reason   string
		observed map[string]*structpb.Struct
		want     string
		ready    map[string]fnv1.Ready
	}{
		"Nothing": {
			reason: "Before anything exists the status says what comes first.",
			want:   "{ready: false, controlPlane: {desired: 3, ready: 0}, workers: {desired: 2, ready: 0}, message: waiting for the Cluster API Cluster demo}",
		},
		"ControlPlaneComing": {
			reason: "With an endpoint and one of three control-plane nodes the status counts them.",
			observed: map[string]*structpb.Struct{
				"cluster":       cluster("conditions: [{type: Available, status: 'False'}]"),
				"control-plane": controlPlane(1),
			},
			want: "{ready: false, endpoint: 'https://10.96.12.34:6443', controlPlane: {desired: 3, ready: 1}, workers: {desired: 2, ready: 0}, message: 'waiting for control-plane nodes: 1 of 3 ready'}",
		},
		"Ready": {
			reason: "An Available, initialized Cluster with every node ready is ready and has a kubeconfig.",
			observed: map[string]*structpb.Struct{
				"cluster":       cluster("initialization: {infrastructureProvisioned: true, controlPlaneInitialized: true}\nconditions: [{type: Available, status: 'True'}]"),
				"control-plane": controlPlane(3),
				"workers":       workers(2),
			},
			want: "{ready: true, endpoint: 'https://10.96.12.34:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 3}, workers: {desired: 2, ready: 2}}",
			ready: map[string]fnv1.Ready{
				"cluster": fnv1.Ready_READY_TRUE, "control-plane": fnv1.Ready_READY_TRUE, "workers": fnv1.Ready_READY_TRUE,
				"infrastructure-cluster": fnv1.Ready_READY_FALSE, "control-plane-machine-template": fnv1.Ready_READY_FALSE,
				"worker-machine-template": fnv1.Ready_READY_FALSE, "worker-bootstrap-template": fnv1.Ready_READY_FALSE,
				"control-plane-health-check": fnv1.Ready_READY_FALSE, "worker-health-check": fnv1.Ready_READY_FALSE,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, &Function{}, newRequest(t, testInputCAPI, xr, tc.observed))
			got := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]
			if diff := cmp.Diff(structpb.NewStructValue(object(t, tc.want)), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nstatus (-want +got):\n%s", tc.reason, diff)
			}
			if tc.ready != nil {
				gotReady := map[string]fnv1.Ready{}
				for n, r := range rsp.GetDesired().GetResources() {
					gotReady[n] = r.GetReady()
				}
				if diff := cmp.Diff(tc.ready, gotReady); diff != "" {
					t.Errorf("%s\nreadiness (-want +got):\n%s", tc.reason, diff)
				}
			}
		})
	}
}
