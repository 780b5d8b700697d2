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

// Command direct boots an inner cluster in the outer cluster the way the KindCluster "direct" Composition
// does, without Crossplane: it runs the composition function's direct mode in a loop, applies the resources
// it desires, deletes those it no longer desires and feeds the observed objects back, as Crossplane's
// composition engine would. It exits once the function reports the cluster ready.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/function/kindcluster"
)

func main() {
	var (
		kubeconfig = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the outer cluster")
		name       = flag.String("name", "demo", "name of the inner cluster")
		namespace  = flag.String("namespace", "default", "namespace of its resources in the outer cluster")
		version    = flag.String("kubernetes-version", "v1.37.2", "Kubernetes version of the inner cluster")
		cps        = flag.Int("control-planes", 1, "control-plane nodes")
		workers    = flag.Int("workers", 1, "worker nodes")
		timeout    = flag.Duration("timeout", 15*time.Minute, "how long to wait for the cluster to be ready")
		del        = flag.Bool("delete", false, "delete the cluster's resources and wait until they are gone")
	)
	flag.Parse()
	spec := map[string]any{
		"kubernetesVersion": *version,
		"controlPlane":      map[string]any{"replicas": *cps},
		"workers":           map[string]any{"replicas": *workers},
		"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": "default"},
	}
	if err := run(*kubeconfig, *name, *namespace, spec, *timeout, *del); err != nil {
		fmt.Fprintf(os.Stderr, "direct: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, name, namespace string, spec map[string]any, timeout time.Duration, del bool) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := kindnodev1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	c, err := kindcluster.NewCluster(name, namespace, raw)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	known, err := existing(ctx, kube, c)
	if err != nil {
		return err
	}
	// Nodes beyond the replicas asked for now (an earlier, larger run) are the cluster's too: a delete must
	// see them all, a scale down its workers (control-plane nodes are never removed, as in the function).
	if err := addNodePods(ctx, kube, name, namespace, !del, known); err != nil {
		return err
	}
	if del {
		return deleteAll(ctx, kube, known)
	}
	last := ""
	for {
		obs, err := observe(ctx, kube, known)
		if err != nil {
			return err
		}
		out, err := kindcluster.Direct(c, obs, kindcluster.RandomGenerator{}, time.Now())
		if err != nil {
			return err
		}
		for _, w := range out.Warnings {
			fmt.Printf("warning: %s\n", w)
		}
		for n, d := range out.Resources {
			u := &unstructured.Unstructured{Object: d.Resource.Object}
			u.SetManagedFields(nil)
			u.SetResourceVersion("")
			if err := kube.Patch(ctx, u, client.Apply, client.FieldOwner("kindcluster-direct"), client.ForceOwnership); err != nil { //nolint:staticcheck // Server-side apply of unstructured objects.
				return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
			}
			known[n] = d.Resource
		}
		for n, r := range known {
			if _, still := out.Resources[n]; still {
				continue
			}
			if err := kube.Delete(ctx, r); client.IgnoreNotFound(err) != nil {
				return err
			}
			delete(known, n)
		}
		line := fmt.Sprintf("control plane %d/%d ready, workers %d/%d ready; %s", out.Status.ControlPlane.Ready, out.Status.ControlPlane.Desired,
			out.Status.Workers.Ready, out.Status.Workers.Desired, out.Status.Message)
		if line != last {
			fmt.Printf("%s %s\n", time.Now().Format(time.TimeOnly), line)
			last = line
		}
		if out.Status.Ready {
			fmt.Printf("inner cluster %s ready: endpoint %s, kubeconfig in Secret %s/%s\n", name, out.Status.Endpoint, namespace, out.Status.KubeconfigSecretName)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("inner cluster %s not ready within the timeout: %s", name, out.Status.Message)
		case <-time.After(3 * time.Second):
		}
	}
}

// existing finds the resources of an earlier run, so that a second run (a scale, a delete) continues from
// them instead of generating new certificates: it asks the function what it desires given what is observed
// until the observed set stops growing.
func existing(ctx context.Context, kube client.Client, c kindcluster.Cluster) (map[resource.Name]*composed.Unstructured, error) {
	known := map[resource.Name]*composed.Unstructured{}
	for range 20 {
		obs, err := observe(ctx, kube, known)
		if err != nil {
			return nil, err
		}
		out, err := kindcluster.Direct(c, obs, kindcluster.RandomGenerator{}, time.Now())
		if err != nil {
			return nil, err
		}
		grew := false
		for n, d := range out.Resources {
			if _, ok := known[n]; !ok {
				known[n] = d.Resource
				grew = true
			}
		}
		next, err := observe(ctx, kube, known)
		if err != nil {
			return nil, err
		}
		for n := range known {
			if _, found := next[n]; !found {
				delete(known, n)
			}
		}
		if !grew || len(next) == len(obs) {
			return known, nil
		}
	}
	return known, nil
}

// addNodePods adds the cluster's NodePods (only its workers if workersOnly) that known does not hold yet.
func addNodePods(ctx context.Context, kube client.Client, name, namespace string, workersOnly bool, known map[resource.Name]*composed.Unstructured) error {
	have := map[string]bool{}
	for _, r := range known {
		if r.GetKind() == kindnodev1alpha1.NodePodKind {
			have[r.GetName()] = true
		}
	}
	nodes := &kindnodev1alpha1.NodePodList{}
	if err := kube.List(ctx, nodes, client.InNamespace(namespace)); err != nil {
		return err
	}
	for i := range nodes.Items {
		np := &nodes.Items[i]
		if np.Spec.ForProvider.ClusterName != name || have[np.Name] ||
			(workersOnly && np.Spec.ForProvider.Role != kindnodev1alpha1.NodeRoleWorker) {
			continue
		}
		u := &composed.Unstructured{}
		u.SetAPIVersion(kindnodev1alpha1.SchemeGroupVersion.String())
		u.SetKind(kindnodev1alpha1.NodePodKind)
		u.SetNamespace(np.Namespace)
		u.SetName(np.Name)
		known[resource.Name("nodepod/"+np.Name)] = u
	}
	return nil
}

// deleteAll deletes the resources and waits until they are gone: NodePods and NodeServices go once the
// provider has removed their Pods and Services.
func deleteAll(ctx context.Context, kube client.Client, known map[resource.Name]*composed.Unstructured) error {
	for _, r := range known {
		if err := kube.Delete(ctx, r); client.IgnoreNotFound(err) != nil {
			return err
		}
		fmt.Printf("deleting %s %s/%s\n", r.GetKind(), r.GetNamespace(), r.GetName())
	}
	for {
		obs, err := observe(ctx, kube, known)
		if err != nil {
			return err
		}
		if len(obs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d resources still there after the timeout", len(obs))
		case <-time.After(2 * time.Second):
		}
	}
}

// observe reads the current state of every resource the function desired so far.
func observe(ctx context.Context, kube client.Client, known map[resource.Name]*composed.Unstructured) (kindcluster.Observed, error) {
	obs := kindcluster.Observed{}
	for n, r := range known {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.FromAPIVersionAndKind(r.GetAPIVersion(), r.GetKind()))
		err := kube.Get(ctx, types.NamespacedName{Namespace: r.GetNamespace(), Name: r.GetName()}, u)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		obs[n] = resource.ObservedComposed{Resource: &composed.Unstructured{Unstructured: *u}}
	}
	return obs, nil
}
