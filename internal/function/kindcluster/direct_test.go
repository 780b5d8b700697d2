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
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// failingGenerator fails the test if the function generates material it should have read back.
type failingGenerator struct{ t *testing.T }

func (g failingGenerator) NewPKI(time.Time) (*PKI, error) {
	g.t.Error("NewPKI called although the cluster certificates were observed")
	return nil, errors.New("unexpected")
}

func (g failingGenerator) NewAdmin(KeyPair, time.Time) (KeyPair, error) {
	g.t.Error("NewAdmin called although the admin certificate is fresh")
	return KeyPair{}, errors.New("unexpected")
}

// observedPKI is the cluster certificates Secret as Crossplane observes it.
func observedPKI(t *testing.T, p *PKI) *structpb.Struct {
	t.Helper()
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "demo-pki", Namespace: "team-a"},
		Type:       corev1.SecretTypeOpaque,
		Data:       p.SecretData(),
	}
	return typed(t, s)
}

func observedNodeService(t *testing.T) *structpb.Struct {
	t.Helper()
	return withStatus(t, object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodeService\nmetadata: {name: demo, namespace: team-a}"),
		"atProvider: {serviceName: demo, serviceNamespace: team-a, clusterIP: 10.96.0.20, host: 10.96.0.20, port: 6443}\n"+readyStatus())
}

func observedNode(t *testing.T, name string, ready bool) *structpb.Struct {
	t.Helper()
	status := "conditions: [{type: Ready, status: 'False', reason: Creating}]"
	if ready {
		status = readyStatus()
	}
	return withStatus(t, object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodePod\nmetadata: {name: "+name+", namespace: team-a}"), status)
}

func observedSecret(t *testing.T, name string) *structpb.Struct {
	t.Helper()
	return object(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: "+name+", namespace: team-a}")
}

// observedUpTo returns observed resources of a direct-mode cluster that got as far as the endpoint, plus
// the given nodes (name: ready).
func observedUpTo(t *testing.T, nodes map[string]bool) map[string]*structpb.Struct {
	t.Helper()
	o := map[string]*structpb.Struct{
		"pki":                     observedPKI(t, testPKI()),
		"endpoint":                observedNodeService(t),
		"bootstrap-init":          observedSecret(t, "demo-control-plane-init"),
		"bootstrap-control-plane": observedSecret(t, "demo-control-plane-join"),
		"bootstrap-worker":        observedSecret(t, "demo-worker-join"),
		"kubeconfig":              observedSecret(t, "demo-kubeconfig"),
	}
	for n, ready := range nodes {
		o[n] = observedNode(t, "demo-"+n, ready)
	}
	return o
}

func readiness(rsp *fnv1.RunFunctionResponse) map[string]fnv1.Ready {
	out := map[string]fnv1.Ready{}
	for n, r := range rsp.GetDesired().GetResources() {
		out[n] = r.GetReady()
	}
	return out
}

const (
	rTrue  = fnv1.Ready_READY_TRUE
	rFalse = fnv1.Ready_READY_FALSE
)

// TestDirectSteps follows a cluster of 3 control-plane nodes and 2 workers from nothing to ready: which
// resources the function composes at each step, how ready each is, and the status it reports.
func TestDirectSteps(t *testing.T) {
	xr := kindCluster("  kubernetesVersion: v1.37.2\n  controlPlane: {replicas: 3}\n  workers: {replicas: 2}\n")
	secrets := map[string]fnv1.Ready{"pki": rTrue, "endpoint": rTrue, "bootstrap-init": rTrue, "bootstrap-control-plane": rTrue, "bootstrap-worker": rTrue, "kubeconfig": rTrue}
	with := func(extra map[string]fnv1.Ready) map[string]fnv1.Ready {
		out := map[string]fnv1.Ready{}
		for k, v := range secrets {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := map[string]struct {
		reason   string
		observed map[string]*structpb.Struct
		want     map[string]fnv1.Ready
		status   string
	}{
		"Nothing": {
			reason: "First the cluster certificates and the endpoint.",
			want:   map[string]fnv1.Ready{"pki": rFalse, "endpoint": rFalse},
			status: "{ready: false, controlPlane: {desired: 3, ready: 0}, workers: {desired: 2, ready: 0}, message: waiting for the cluster certificates Secret demo-pki}",
		},
		"CertificatesObserved": {
			reason:   "Nodes wait for the endpoint's address, which their certificates and kubeconfig name.",
			observed: map[string]*structpb.Struct{"pki": observedPKI(t, testPKI()), "endpoint": object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodeService\nmetadata: {name: demo, namespace: team-a}")},
			want:     map[string]fnv1.Ready{"pki": rTrue, "endpoint": rFalse},
			status:   "{ready: false, controlPlane: {desired: 3, ready: 0}, workers: {desired: 2, ready: 0}, message: waiting for the endpoint NodeService demo to get an address}",
		},
		"EndpointObserved": {
			reason:   "With an endpoint: bootstrap data, kubeconfig and the first control-plane node, which runs kubeadm init.",
			observed: map[string]*structpb.Struct{"pki": observedPKI(t, testPKI()), "endpoint": observedNodeService(t)},
			want: map[string]fnv1.Ready{"pki": rTrue, "endpoint": rTrue, "bootstrap-init": rFalse, "bootstrap-control-plane": rFalse,
				"bootstrap-worker": rFalse, "kubeconfig": rFalse, "control-plane-0": rFalse},
			status: "{ready: false, endpoint: 'https://10.96.0.20:6443', controlPlane: {desired: 3, ready: 0}, workers: {desired: 2, ready: 0}, message: 'waiting for control-plane nodes: 0 of 3 ready'}",
		},
		"FirstControlPlaneNodeReady": {
			reason:   "Once the first node is ready, the second control-plane node and all workers join.",
			observed: observedUpTo(t, map[string]bool{"control-plane-0": true}),
			want:     with(map[string]fnv1.Ready{"control-plane-0": rTrue, "control-plane-1": rFalse, "worker-0": rFalse, "worker-1": rFalse}),
			status:   "{ready: false, endpoint: 'https://10.96.0.20:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 1}, workers: {desired: 2, ready: 0}, message: 'waiting for control-plane nodes: 1 of 3 ready'}",
		},
		"SecondControlPlaneNodeJoining": {
			reason:   "The third control-plane node waits until the second is ready: etcd adds one member at a time.",
			observed: observedUpTo(t, map[string]bool{"control-plane-0": true, "control-plane-1": false, "worker-0": true, "worker-1": true}),
			want:     with(map[string]fnv1.Ready{"control-plane-0": rTrue, "control-plane-1": rFalse, "worker-0": rTrue, "worker-1": rTrue}),
			status:   "{ready: false, endpoint: 'https://10.96.0.20:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 1}, workers: {desired: 2, ready: 2}, message: 'waiting for control-plane nodes: 1 of 3 ready'}",
		},
		"FirstNodeUnreadyLater": {
			reason:   "Nodes that exist stay composed when an earlier one becomes unready.",
			observed: observedUpTo(t, map[string]bool{"control-plane-0": false, "control-plane-1": true, "control-plane-2": true, "worker-0": true, "worker-1": true}),
			want:     with(map[string]fnv1.Ready{"control-plane-0": rFalse, "control-plane-1": rTrue, "control-plane-2": rTrue, "worker-0": rTrue, "worker-1": rTrue}),
			status:   "{ready: false, endpoint: 'https://10.96.0.20:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 2}, workers: {desired: 2, ready: 2}, message: 'waiting for control-plane nodes: 2 of 3 ready'}",
		},
		"WorkerNetworkBroken": {
			reason: "A node that says why it is not ready is quoted.",
			observed: func() map[string]*structpb.Struct {
				o := observedUpTo(t, map[string]bool{"control-plane-0": true, "control-plane-1": true, "control-plane-2": true, "worker-0": true})
				o["worker-1"] = withStatus(t, object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodePod\nmetadata: {name: demo-worker-1, namespace: team-a}"),
					"conditions: [{type: Ready, status: 'False', reason: PodNetworkUnavailable, message: 'its node says its pod network is broken'}]")
				return o
			}(),
			want:   with(map[string]fnv1.Ready{"control-plane-0": rTrue, "control-plane-1": rTrue, "control-plane-2": rTrue, "worker-0": rTrue, "worker-1": rFalse}),
			status: "{ready: false, endpoint: 'https://10.96.0.20:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 3}, workers: {desired: 2, ready: 1}, message: 'waiting for worker nodes: 1 of 2 ready; demo-worker-1: its node says its pod network is broken'}",
		},
		"Ready": {
			reason:   "Every node ready and the kubeconfig there: the KindCluster is ready.",
			observed: observedUpTo(t, map[string]bool{"control-plane-0": true, "control-plane-1": true, "control-plane-2": true, "worker-0": true, "worker-1": true}),
			want:     with(map[string]fnv1.Ready{"control-plane-0": rTrue, "control-plane-1": rTrue, "control-plane-2": rTrue, "worker-0": rTrue, "worker-1": rTrue}),
			status:   "{ready: true, endpoint: 'https://10.96.0.20:6443', kubeconfigSecretName: demo-kubeconfig, controlPlane: {desired: 3, ready: 3}, workers: {desired: 2, ready: 2}}",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{Generator: fixedGenerator{testPKI()}, Now: func() time.Time { return testNow }}
			rsp := run(t, f, newRequest(t, testInputDirect, xr, tc.observed))
			if diff := cmp.Diff(tc.want, readiness(rsp)); diff != "" {
				t.Errorf("%s\ncomposed resources and readiness (-want +got):\n%s", tc.reason, diff)
			}
			got := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"]
			if diff := cmp.Diff(structpb.NewStructValue(object(t, tc.status)), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nstatus (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// workerNodePod is the desired NodePod of worker i of the direct mode's demo cluster.
func workerNodePod(i string) string {
	return `apiVersion: kindnode.dev/v1alpha1
kind: NodePod
metadata: {name: demo-worker-` + i + `, namespace: team-a}
spec:
  providerConfigRef: {kind: ClusterProviderConfig, name: default}
  forProvider:
    clusterName: demo
    role: Worker
    kubernetesVersion: v1.37.2
    resources: {requests: {cpu: "1", memory: 2Gi}}
    bootstrapDataSecretRef: {name: demo-worker-join, key: value}
`
}

// TestDirectScaleWorkers scales workers up and down: the desired NodePods follow spec.workers.replicas, so
// Crossplane creates the new ones and deletes the ones no longer desired.
func TestDirectScaleWorkers(t *testing.T) {
	xr := func(workers string) string {
		return kindCluster("  kubernetesVersion: v1.37.2\n  workers: {replicas: " + workers + ", resources: {requests: {cpu: '1', memory: 2Gi}}}\n")
	}
	cases := map[string]struct {
		reason   string
		xr       string
		observed map[string]bool
		want     map[string]string
	}{
		"OneToThree": {
			reason:   "Scaling 1 to 3 adds two workers like the first.",
			xr:       xr("3"),
			observed: map[string]bool{"control-plane-0": true, "worker-0": true},
			want:     map[string]string{"worker-0": workerNodePod("0"), "worker-1": workerNodePod("1"), "worker-2": workerNodePod("2")},
		},
		"ThreeToOne": {
			reason:   "Scaling 3 to 1 drops the last two workers from the desired resources.",
			xr:       xr("1"),
			observed: map[string]bool{"control-plane-0": true, "worker-0": true, "worker-1": true, "worker-2": false},
			want:     map[string]string{"worker-0": workerNodePod("0")},
		},
		"ToZero": {
			reason:   "Scaling to 0 drops every worker.",
			xr:       xr("0"),
			observed: map[string]bool{"control-plane-0": true, "worker-0": true},
			want:     map[string]string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{Generator: failingGenerator{t}, Now: func() time.Time { return testNow }}
			rsp := run(t, f, newRequest(t, testInputDirect, tc.xr, observedUpTo(t, tc.observed)))
			want := map[string]*structpb.Struct{}
			for n, y := range tc.want {
				want[n] = object(t, y)
			}
			got := map[string]*structpb.Struct{}
			for n, r := range rsp.GetDesired().GetResources() {
				if strings.HasPrefix(n, "worker-") {
					got[n] = r.GetResource()
				}
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\ndesired workers (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDirectControlPlaneScale checks both directions for control-plane nodes: up one at a time with
// kubeadm join, and never down, with a warning.
func TestDirectControlPlaneScale(t *testing.T) {
	controlPlaneNode := func(i, bootstrap string) string {
		return `apiVersion: kindnode.dev/v1alpha1
kind: NodePod
metadata: {name: demo-control-plane-` + i + `, namespace: team-a}
spec:
  providerConfigRef: {kind: ProviderConfig, name: outer}
  forProvider:
    clusterName: demo
    role: ControlPlane
    kubernetesVersion: v1.37.2
    persistence: {etcd: {size: 2Gi}, reclaimPolicy: Delete}
    bootstrapDataSecretRef: {name: ` + bootstrap + `, key: value}
`
	}
	xr := func(cp string) string {
		return kindCluster("  kubernetesVersion: v1.37.2\n  providerConfigRef: {kind: ProviderConfig, name: outer}\n" +
			"  controlPlane: {replicas: " + cp + ", persistence: {etcd: {size: 2Gi}}}\n  workers: {replicas: 0}\n")
	}
	cases := map[string]struct {
		reason   string
		xr       string
		observed map[string]bool
		want     map[string]string
		warnings []string
	}{
		"OneToThree": {
			reason:   "Scaling 1 to 3 adds the second node with the join bootstrap data, and not yet the third.",
			xr:       xr("3"),
			observed: map[string]bool{"control-plane-0": true},
			want: map[string]string{
				"control-plane-0": controlPlaneNode("0", "demo-control-plane-init"),
				"control-plane-1": controlPlaneNode("1", "demo-control-plane-join"),
			},
		},
		"ThreeToOne": {
			reason:   "Scaling 3 to 1 keeps the nodes, whose etcd members the function cannot remove, and warns.",
			xr:       xr("1"),
			observed: map[string]bool{"control-plane-0": true, "control-plane-1": true, "control-plane-2": true},
			want: map[string]string{
				"control-plane-0": controlPlaneNode("0", "demo-control-plane-init"),
				"control-plane-1": controlPlaneNode("1", "demo-control-plane-join"),
				"control-plane-2": controlPlaneNode("2", "demo-control-plane-join"),
			},
			warnings: []string{
				"control-plane node demo-control-plane-1 is kept although spec.controlPlane.replicas is 1: the direct mode does not remove etcd members; delete the node by hand after removing its etcd member, or use the capi mode",
				"control-plane node demo-control-plane-2 is kept although spec.controlPlane.replicas is 1: the direct mode does not remove etcd members; delete the node by hand after removing its etcd member, or use the capi mode",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Function{Generator: failingGenerator{t}, Now: func() time.Time { return testNow }}
			rsp := run(t, f, newRequest(t, testInputDirect, tc.xr, observedUpTo(t, tc.observed)))
			want := map[string]*structpb.Struct{}
			for n, y := range tc.want {
				want[n] = object(t, y)
			}
			got := map[string]*structpb.Struct{}
			for n, r := range rsp.GetDesired().GetResources() {
				if strings.HasPrefix(n, "control-plane-") {
					got[n] = r.GetResource()
				}
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\ndesired control-plane nodes (-want +got):\n%s", tc.reason, diff)
			}
			var warnings []string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING {
					warnings = append(warnings, r.GetMessage())
				}
			}
			slices.Sort(warnings)
			if diff := cmp.Diff(tc.warnings, warnings); diff != "" {
				t.Errorf("%s\nwarnings (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDirectKeepsMaterial checks that the material read back is composed unchanged, and that a damaged
// Secret stops the function with a message instead of reaching nodes.
func TestDirectKeepsMaterial(t *testing.T) {
	xr := kindCluster("  kubernetesVersion: v1.37.2\n")
	t.Run("Unchanged", func(t *testing.T) {
		f := &Function{Generator: failingGenerator{t}, Now: func() time.Time { return testNow }}
		observed := observedUpTo(t, nil)
		rsp := run(t, f, newRequest(t, testInputDirect, xr, observed))
		want := observed["pki"].GetFields()["data"]
		got := rsp.GetDesired().GetResources()["pki"].GetResource().GetFields()["data"]
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("the cluster certificates changed (-observed +desired):\n%s", diff)
		}
	})
	t.Run("Damaged", func(t *testing.T) {
		f := &Function{Generator: failingGenerator{t}, Now: func() time.Time { return testNow }}
		observed := observedUpTo(t, nil)
		observed["pki"].GetFields()["data"].GetStructValue().GetFields()["bootstrap-token"] = structpb.NewStringValue("Tm90QVRva2Vu") // NotAToken
		rsp, err := f.RunFunction(t.Context(), newRequest(t, testInputDirect, xr, observed))
		if err != nil {
			t.Fatal(err)
		}
		want := []*fnv1.Result{{
			Severity: fnv1.Severity_SEVERITY_FATAL,
			Message:  "cannot compose KindCluster demo in mode direct: Secret demo-pki holds no usable cluster certificates; delete it only if no node uses them yet: bootstrap-token is not a kubeadm bootstrap token (<6 of [a-z0-9]>.<16 of [a-z0-9]>)",
			Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
		}}
		if diff := cmp.Diff(want, rsp.GetResults(), protocmp.Transform()); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
	})
	t.Run("AdminRenewed", func(t *testing.T) {
		later := testNow.Add(adminValidity - adminRenewBefore + time.Hour)
		f := &Function{Generator: RandomGenerator{}, Now: func() time.Time { return later }}
		rsp := run(t, f, newRequest(t, testInputDirect, xr, observedUpTo(t, nil)))
		var s corev1.Secret
		if err := (Observed{}).fromStruct(rsp.GetDesired().GetResources()["pki"].GetResource(), &s); err != nil {
			t.Fatal(err)
		}
		p, err := PKIFromSecretData(s.Data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(testPKI().CA, p.CA); diff != "" {
			t.Errorf("the CA changed with the admin certificate (-before +after):\n%s", diff)
		}
		if string(p.Admin.Cert) == string(testPKI().Admin.Cert) {
			t.Errorf("the admin certificate was not reissued %s before it expires", adminValidity-(later.Sub(testNow)))
		}
		if p.adminExpiresSoon(later) {
			t.Errorf("the reissued admin certificate expires soon")
		}
	})
}
