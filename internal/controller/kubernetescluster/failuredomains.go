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

package kubernetescluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errConnectOuter  = "cannot connect to the outer cluster to discover its zones"
	errDiscoverZones = "cannot discover the zones of the outer cluster's Nodes"
)

// kind is the kind of a KubernetesCluster, as the registry's zone source knows it.
const kind = "KubernetesCluster"

// owner is kc as the registry of outer clusters knows it.
func owner(kc *infrav1.KubernetesCluster) kindnode.Owner {
	return kindnode.Owner{Kind: kind, Name: kc.Name, Namespace: kc.Namespace}
}

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch

// reconcileFailureDomains publishes the failure domains Cluster API spreads the cluster's Machines across:
// spec.failureDomains when set, else one per zone of the outer cluster's Nodes. A change of those zones
// reconciles kc again (the registry's zone source), so status follows the outer cluster without a poll.
// When discovery fails the last published failure domains stay: Cluster API would otherwise take them for
// gone.
func (r *Reconciler) reconcileFailureDomains(ctx context.Context, kc *infrav1.KubernetesCluster) error {
	if len(kc.Spec.FailureDomains) > 0 {
		r.Clusters.ForgetZones(owner(kc))
		kc.Status.FailureDomains = declared(kc.Spec.FailureDomains)
		conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterFailureDomainsReadyCondition, Status: metav1.ConditionTrue, Reason: infrav1.KubernetesClusterFailureDomainsDeclaredReason,
			Message: fmt.Sprintf("%d failure domains from spec.failureDomains", len(kc.Status.FailureDomains))})
		return nil
	}
	outer, err := r.Clusters.ForCredentials(ctx, r.Client, credentials(kc))
	if err != nil {
		return notDiscovered(kc, errors.Wrap(err, errConnectOuter))
	}
	zones, err := r.Clusters.Zones(ctx, outer, owner(kc))
	if err != nil {
		return notDiscovered(kc, errors.Wrap(err, errDiscoverZones))
	}
	kc.Status.FailureDomains = discovered(zones)
	msg := fmt.Sprintf("%d zones of the outer cluster's Nodes (label %s)", len(zones), corev1.LabelTopologyZone)
	if off := unschedulable(zones); len(off) > 0 {
		msg += fmt.Sprintf("; not for new control-plane Machines while none of their Nodes is Ready and uncordoned: %s", strings.Join(off, ", "))
	}
	if len(zones) == 0 {
		msg = fmt.Sprintf("no outer Node has the label %s, so there are no failure domains; set spec.failureDomains to declare some", corev1.LabelTopologyZone)
	}
	conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterFailureDomainsReadyCondition, Status: metav1.ConditionTrue, Reason: infrav1.KubernetesClusterFailureDomainsDiscoveredReason, Message: msg})
	return nil
}

// notDiscovered reports err in kc's conditions and returns it, so that the reconcile is tried again.
func notDiscovered(kc *infrav1.KubernetesCluster, err error) error {
	conditions.Set(kc, metav1.Condition{Type: infrav1.KubernetesClusterFailureDomainsReadyCondition, Status: metav1.ConditionFalse, Reason: infrav1.KubernetesClusterFailureDomainsNotDiscoveredReason,
		Message: err.Error() + "; set spec.failureDomains to declare them instead"})
	return err
}

// declared are the failure domains of spec.failureDomains, sorted by name as discovered ones are and as
// Cluster API keeps them on the Cluster.
func declared(fds []infrav1.FailureDomainSpec) []clusterv1.FailureDomain {
	out := make([]clusterv1.FailureDomain, 0, len(fds))
	for _, fd := range fds {
		out = append(out, clusterv1.FailureDomain{Name: fd.Name, ControlPlane: ptr.To(ptr.Deref(fd.ControlPlane, true))})
	}
	slices.SortFunc(out, func(a, b clusterv1.FailureDomain) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// discovered are the failure domains of the given zones, in their order. Control-plane Machines may go to
// those with a Node that can take their node Pod: KubeadmControlPlane places a new Machine, a replacement
// for one on a lost or drained outer node too, in the failure domain with the fewest, and a zone without
// such a Node would leave its node Pod Pending. The others stay failure domains, for the Machines in them.
func discovered(zones []clients.Zone) []clusterv1.FailureDomain {
	if len(zones) == 0 {
		return nil
	}
	out := make([]clusterv1.FailureDomain, 0, len(zones))
	for _, z := range zones {
		out = append(out, clusterv1.FailureDomain{Name: z.Name, ControlPlane: ptr.To(z.Schedulable)})
	}
	return out
}

// unschedulable are the names of the zones without a Node that can take a new Pod.
func unschedulable(zones []clients.Zone) []string {
	var out []string
	for _, z := range zones {
		if !z.Schedulable {
			out = append(out, z.Name)
		}
	}
	return out
}
