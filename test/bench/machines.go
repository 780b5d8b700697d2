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

package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

// machineNamespace holds the Cluster API objects of the KubernetesMachine phases, and their node Pods.
const machineNamespace = "bench-machines"

// benchCluster is the name of the one Cluster, KubernetesCluster and ProviderConfig of the KubernetesMachine
// phases.
const benchCluster = "bench"

// emptyCloudConfig is the bootstrap data of every Machine: cloud-config without modules, so that the
// bootstrap is only the provider's own wait for containerd, which kwok's exec answers on the host.
const emptyCloudConfig = "#cloud-config\n"

// Workloads the harness can measure.
const (
	WorkloadNodePod           = "nodepod"
	WorkloadKubernetesMachine = "kubernetesmachine"
)

// machines plays Cluster API for cfg.Nodes Machines: no Cluster API controller runs in the benchmark, so the
// harness does what its Cluster, MachineSet, Machine and bootstrap controllers would. Once per run it
// creates a Cluster and its KubernetesCluster (owned by the Cluster, as the Cluster controller makes it) and
// marks the Cluster's infrastructure provisioned once the KubernetesCluster is. Before the timed phase it
// creates, per node, the bootstrap data Secret and a Machine whose spec.bootstrap.dataSecretName names it,
// as a bootstrap provider and the Machine controller leave them. The timed phases create and delete the
// KubernetesMachines, owned by their Machines as the Machine controller makes them, and wait for all to be
// status.initialization.provisioned and all to be gone.
func (ph *phases) machines(ctx context.Context, res *Result, p *provider) error {
	names := nodeNames(ph.cfg.Nodes)
	if err := ph.capiCluster(ctx); err != nil {
		return fmt.Errorf("KubernetesMachines: %w", err)
	}
	ph.logf("KubernetesMachines: creating %d bootstrap Secrets and Machines", len(names))
	machines := make([]*clusterv1.Machine, len(names))
	if err := parallel(ph.cfg.Parallelism, len(names), func(i int) error {
		s := bootstrapSecret(names[i])
		if err := ph.oc.kube.Create(ctx, s); err != nil {
			return err
		}
		machines[i] = machine(names[i], s.Name)
		return ph.oc.kube.Create(ctx, machines[i])
	}); err != nil {
		return fmt.Errorf("KubernetesMachines: %w", err)
	}

	before, err := ph.usage(ctx, p)
	if err != nil {
		return err
	}

	keys := keysOf("KubernetesMachine", machineNamespace, names)
	ph.logf("KubernetesMachines: creating %d", len(names))
	create, err := ph.timed(ctx, becameReady, keys, func(i int) error {
		return ph.oc.kube.Create(ctx, kubernetesMachine(machines[i]))
	})
	res.MachinesProvisioned = ph.oc.rec.count(becameReady, keys)
	if err != nil {
		return fmt.Errorf("KubernetesMachines: %w", err)
	}
	res.MachineCreate = create
	res.MachineLatencies = ph.latenciesOf("KubernetesMachine", machineNamespace, names)
	res.MachineAfterNodePod = ph.latenciesBetween("NodePod", "KubernetesMachine", machineNamespace, names)

	ph.logf("KubernetesMachines: deleting %d", len(names))
	del, err := ph.timed(ctx, wentAway, keys, func(i int) error {
		return ph.oc.kube.Delete(ctx, &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: machineNamespace, Name: names[i]}})
	})
	res.MachinesDeleted = ph.oc.rec.count(wentAway, keys)
	if err != nil {
		return fmt.Errorf("KubernetesMachines: %w", err)
	}
	res.MachineDelete = del

	spent, err := ph.spentSince(ctx, p, before)
	if err != nil {
		return err
	}
	res.MachineProviderCPU, res.MachineServerCPU, res.MachineAPIRequests = spent.providerCPU, spent.serverCPU, spent.requests
	res.MachineServerWrites = spent.serverWrites
	return nil
}

// capiCluster creates the Cluster and its KubernetesCluster, waits for the provider to provision the
// KubernetesCluster (its ProviderConfig and endpoint NodeService) and then does what Cluster API's Cluster
// controller would: copies the endpoint and marks the Cluster's infrastructure provisioned, which the
// KubernetesMachine controller waits for.
func (ph *phases) capiCluster(ctx context.Context) error {
	c := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: machineNamespace, Name: benchCluster},
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:     clusterv1.NetworkRanges{CIDRBlocks: []string{"10.244.0.0/16"}},
				Services: clusterv1.NetworkRanges{CIDRBlocks: []string{"10.96.0.0/16"}},
			},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "KubernetesCluster", Name: benchCluster},
		},
	}
	if err := ph.oc.kube.Create(ctx, c); err != nil {
		return err
	}
	kc := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{
		Namespace:       machineNamespace,
		Name:            benchCluster,
		Labels:          map[string]string{clusterv1.ClusterNameLabel: benchCluster},
		OwnerReferences: []metav1.OwnerReference{ownerRef(clusterv1.GroupVersion.WithKind("Cluster").GroupVersion().String(), "Cluster", c.Name, c.UID)},
	}}
	ph.logf("KubernetesMachines: creating Cluster and KubernetesCluster %s", benchCluster)
	if err := ph.oc.kube.Create(ctx, kc); err != nil {
		return err
	}
	deadline := time.Now().Add(ph.cfg.PhaseTimeout)
	for {
		if err := ph.oc.kube.Get(ctx, types.NamespacedName{Namespace: machineNamespace, Name: benchCluster}, kc); err != nil {
			return err
		}
		if ptr.Deref(kc.Status.Initialization.Provisioned, false) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("KubernetesCluster %s not provisioned within %s: conditions %v", benchCluster, ph.cfg.PhaseTimeout, kc.Status.Conditions)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: kc.Spec.ControlPlaneEndpoint.Host, Port: kc.Spec.ControlPlaneEndpoint.Port}
	if err := ph.oc.kube.Update(ctx, c); err != nil {
		return err
	}
	c.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	return ph.oc.kube.Status().Update(ctx, c)
}

func ownerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
}

// bootstrapSecret is the bootstrap data Secret a bootstrap provider writes for a Machine.
func bootstrapSecret(name string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: machineNamespace, Name: name + "-bootstrap", Labels: map[string]string{clusterv1.ClusterNameLabel: benchCluster}},
		Type:       clusterv1.ClusterSecretType,
		Data:       map[string][]byte{"value": []byte(emptyCloudConfig), "format": []byte("cloud-config")},
	}
}

// machine is a worker Machine of the bench Cluster whose bootstrap data is ready.
func machine(name, secret string) *clusterv1.Machine {
	return &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: machineNamespace, Name: name, Labels: map[string]string{clusterv1.ClusterNameLabel: benchCluster}},
		Spec: clusterv1.MachineSpec{
			ClusterName:       benchCluster,
			Version:           "v1.37.2",
			Bootstrap:         clusterv1.Bootstrap{DataSecretName: ptr.To(secret)},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "KubernetesMachine", Name: name},
		},
	}
}

// kubernetesMachine is m's KubernetesMachine, placed on the fake Node, with the cluster label and the owner
// reference to m that Cluster API's Machine controller sets.
func kubernetesMachine(m *clusterv1.Machine) *infrav1.KubernetesMachine {
	params := parameters()
	return &infrav1.KubernetesMachine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       machineNamespace,
			Name:            m.Name,
			Labels:          map[string]string{clusterv1.ClusterNameLabel: benchCluster},
			OwnerReferences: []metav1.OwnerReference{ownerRef(clusterv1.GroupVersion.String(), "Machine", m.Name, m.UID)},
		},
		Spec: infrav1.KubernetesMachineSpec{NodeSelector: params.NodeSelector, Tolerations: params.Tolerations},
	}
}

// latenciesOf are, sorted, the times from each node Pod in namespace turning Ready to the object of kind
// with the same name turning Ready.
func (ph *phases) latenciesOf(kind, namespace string, names []string) []time.Duration {
	return ph.latenciesBetween("Pod", kind, namespace, names)
}

// latenciesBetween are, sorted, the times from each object of kind from in namespace turning Ready to the
// object of kind to with the same name turning Ready.
func (ph *phases) latenciesBetween(from, to, namespace string, names []string) []time.Duration {
	lat := make([]time.Duration, 0, len(names))
	for _, n := range names {
		a, ok1 := ph.oc.rec.at(becameReady, key{from, namespace, n})
		b, ok2 := ph.oc.rec.at(becameReady, key{to, namespace, n})
		if ok1 && ok2 {
			lat = append(lat, b.Sub(a))
		}
	}
	slices.Sort(lat)
	return lat
}
