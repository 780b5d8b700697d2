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

// Command demo shows the provider at work without any cluster: it starts a local kube-apiserver and etcd
// (the test binaries), runs the provider binary against them as a separate process, creates the example
// ClusterProviderConfig, NodeService and NodePod, and prints what the provider made of them.
//
// No kubelet runs next to that API server, so nothing starts the node Pod's container: the demo plays the
// kubelet's part and reports the Pod Running and Ready, and says so. A real outer cluster with real nodes is
// issue #4's end-to-end test (see the README).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

func main() {
	provider := flag.String("provider", "bin/provider", "The provider binary to run.")
	keep := flag.Bool("keep", false, "Leave everything running until interrupted.")
	flag.Parse()
	if err := run(*provider, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func step(format string, a ...any) { fmt.Printf("==> "+format+"\n", a...) }

func run(provider string, keep bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	step("starting kube-apiserver and etcd (built from the Go module proxy by hack/testbin.sh)")
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()

	dir, err := os.MkdirTemp("", "kindnode-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	kc, err := env.Kubeconfig("demo")
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return err
	}
	kube, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		return err
	}

	step("running the provider: %s --kubeconfig %s", provider, kubeconfig)
	cmd := exec.CommandContext(ctx, provider, "--kubeconfig", kubeconfig, "--metrics-bind-address=0", "--health-probe-bind-address=0")
	logPath := filepath.Join(os.TempDir(), "kindnode-demo-provider.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start the provider: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	fmt.Printf("    provider log: %s\n", logPath)

	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}); err != nil {
		return err
	}
	for _, f := range []string{"examples/provider/clusterproviderconfig.yaml", "examples/kindnode/nodeservice.yaml", "examples/kindnode/nodepod.yaml"} {
		step("kubectl apply -f %s", f)
		if err := apply(ctx, kube, filepath.Join(testenv.RepoRoot(), f)); err != nil {
			return err
		}
	}

	step("waiting for the provider to create the node Pod and the endpoint Service")
	pod := &corev1.Pod{}
	if err := poll(ctx, func() error {
		return kube.Get(ctx, types.NamespacedName{Namespace: "demo", Name: "demo-control-plane-0"}, pod)
	}); err != nil {
		return fmt.Errorf("no node Pod: %w (see %s)", err, logPath)
	}
	fmt.Printf("    Pod demo/%s: image %s, privileged, labels %v\n", pod.Name, pod.Spec.Containers[0].Image, pod.Labels)

	step("no kubelet runs in this demo: reporting the Pod Running and Ready as a kubelet would")
	now := metav1.Now()
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: "10.244.0.10",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: pod.Spec.Containers[0].Name, Ready: true, Image: pod.Spec.Containers[0].Image,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}},
	}
	if err := kube.Status().Update(ctx, pod); err != nil {
		return err
	}

	step("waiting for the NodePod and NodeService to be Ready")
	for _, kind := range []string{"NodePod/demo-control-plane-0", "NodeService/demo-lb"} {
		if err := poll(ctx, func() error { return ready(ctx, kube, kind) }); err != nil {
			return fmt.Errorf("%s: %w (see %s)", kind, err, logPath)
		}
	}

	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	for _, args := range [][]string{
		{"get", "nodeservices,nodepods", "-n", "demo", "-o", "wide"},
		{"get", "pods,services,poddisruptionbudgets", "-n", "demo", "-l", "kindnode.dev/managed=true"},
		{"get", "secret", "demo-endpoint", "-n", "demo", "-o", `go-template=endpoint {{index .data "endpoint" | base64decode}}:{{index .data "port" | base64decode}}`},
	} {
		step("kubectl %v", args)
		c := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		if err := c.Run(); err != nil {
			return err
		}
		fmt.Println()
	}

	if keep {
		step("leaving it running; KUBECONFIG=%s; interrupt to stop", kubeconfig)
		<-context.Background().Done()
	}

	step("deleting the NodePod and NodeService: the provider deletes their Pod, Service and PodDisruptionBudget")
	for _, f := range []string{"examples/kindnode/nodepod.yaml", "examples/kindnode/nodeservice.yaml"} {
		if err := remove(ctx, kube, filepath.Join(testenv.RepoRoot(), f)); err != nil {
			return err
		}
	}
	if err := poll(ctx, func() error {
		pods := &corev1.PodList{}
		svcs := &corev1.ServiceList{}
		pdbs := &policyv1.PodDisruptionBudgetList{}
		for _, l := range []client.ObjectList{pods, svcs, pdbs} {
			if err := kube.List(ctx, l, client.InNamespace("demo")); err != nil {
				return err
			}
		}
		if n := len(pods.Items) + len(svcs.Items) + len(pdbs.Items); n > 0 {
			return fmt.Errorf("%d Pods, %d Services and %d PodDisruptionBudgets left", len(pods.Items), len(svcs.Items), len(pdbs.Items))
		}
		return nil
	}); err != nil {
		return err
	}
	step("done: everything the provider created is gone")
	return nil
}

func read(path string) (*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, yaml.Unmarshal(b, &u.Object)
}

func apply(ctx context.Context, kube client.Client, path string) error {
	u, err := read(path)
	if err != nil {
		return err
	}
	return kube.Create(ctx, u)
}

func remove(ctx context.Context, kube client.Client, path string) error {
	u, err := read(path)
	if err != nil {
		return err
	}
	return kube.Delete(ctx, u)
}

func ready(ctx context.Context, kube client.Client, kindName string) error {
	kind, name, _ := strings.Cut(kindName, "/")
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("kindnode.dev/v1alpha1")
	u.SetKind(kind)
	if err := kube.Get(ctx, types.NamespacedName{Namespace: "demo", Name: name}, u); err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			if m["status"] == "True" {
				return nil
			}
			return fmt.Errorf("condition Ready is %v: %v %v", m["status"], m["reason"], m["message"])
		}
	}
	return fmt.Errorf("no Ready condition yet")
}

func poll(ctx context.Context, fn func() error) error {
	var err error
	for {
		if err = fn(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
