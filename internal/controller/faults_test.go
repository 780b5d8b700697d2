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

package controller_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

// The fault matrix (make faults, hack/faults.sh) runs the tests named TestFault*: each makes one fault happen,
// checks the outcome the matrix states for it, and that nothing was lost or left behind. Each says what it
// saw in one line, through observed, which the matrix prints.

// observed says, for the fault matrix's table, what a fault test saw.
func observed(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("observed: "+format, args...)
}

// nothingLeft waits until the namespace holds nothing the provider or Cluster API made: no Pod, Service,
// claim, PodDisruptionBudget or Secret left of a node, no managed resource or Cluster API object held by a
// finalizer. What a test made itself and keeps (its ProviderConfigs, the Secrets it names) may stay, and so
// may events.
func nothingLeft(ctx context.Context, t *testing.T, ns string, keepSecrets ...string) {
	t.Helper()
	nothingLeftIn(ctx, t, env.Config, ns, keepSecrets...)
}

// nothingLeftIn is nothingLeft for the API server cfg reaches.
func nothingLeftIn(ctx context.Context, t *testing.T, cfg *rest.Config, ns string, keepSecrets ...string) {
	t.Helper()
	waitFor(t, "nothing left in namespace "+ns, func() error {
		var left []string
		objects, err := namespaceObjectsIn(ctx, cfg, ns)
		if err != nil {
			return err
		}
		uids := map[types.UID]bool{}
		for _, o := range objects {
			uids[o.GetUID()] = true
		}
		for _, o := range objects {
			switch kind := o.GetKind(); {
			case kind == "Event", kind == "ProviderConfig":
			case kind == "Secret" && slices.Contains(keepSecrets, o.GetName()):
			// crossplane-runtime leaves a ProviderConfigUsage to the garbage collector once its managed
			// resource is gone; no garbage collector runs next to the test API server.
			case kind == "ProviderConfigUsage" && ownersGone(o.GetOwnerReferences(), uids):
			default:
				left = append(left, fmt.Sprintf("%s %s (finalizers %v)", kind, o.GetName(), o.GetFinalizers()))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left: %s", strings.Join(left, ", "))
		}
		return nil
	})
}

// ownersGone tells whether refs name owners, none of which is among the uids that exist.
func ownersGone(refs []metav1.OwnerReference, uids map[types.UID]bool) bool {
	for _, r := range refs {
		if uids[r.UID] {
			return false
		}
	}
	return len(refs) > 0
}

// newDataMachine creates a control-plane KubernetesMachine and its Machine whose bootstrap data is the Secret
// named data, as a Machine whose data a user wrote himself has (bootstrap.dataSecretName).
func newDataMachine(t *testing.T, ns, cluster, name, data string) *infrav1.KubernetesMachine {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{clusterv1.ClusterNameLabel: cluster, clusterv1.MachineControlPlaneLabel: ""}
	km := &infrav1.KubernetesMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	if err := kube.Create(ctx, km); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: clusterv1.MachineSpec{
			ClusterName:       cluster,
			Version:           "v1.37.2",
			Bootstrap:         clusterv1.Bootstrap{DataSecretName: ptr.To(data)},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: infrav1.GroupVersion.Group, Kind: "KubernetesMachine", Name: name},
		},
	}); err != nil {
		t.Fatal(err)
	}
	return km
}

// waitForRunningPod waits for the node Pod ns/name and marks it running and ready, as a kubelet would.
func waitForRunningPod(t *testing.T, ns, name string) {
	t.Helper()
	waitFor(t, "the node Pod "+name, func() error {
		pod, err := getPod(ns, name)
		if err != nil {
			return err
		}
		if pod.Status.Phase != corev1.PodRunning {
			markRunningReady(t, pod)
		}
		return nil
	})
}

// waitForProvisioned waits until the Machine ns/name's infrastructure is provisioned.
func waitForProvisioned(t *testing.T, ns, name string) {
	t.Helper()
	waitFor(t, "the Machine "+name+" provisioned", func() error {
		got := &clusterv1.Machine{}
		if err := kube.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, got); err != nil {
			return err
		}
		if !ptr.Deref(got.Status.Initialization.InfrastructureProvisioned, false) {
			return errors.New("the Machine's infrastructure is not provisioned")
		}
		return nil
	})
}
