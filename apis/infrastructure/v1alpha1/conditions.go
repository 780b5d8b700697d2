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

package v1alpha1

// Conditions of a KubernetesCluster, besides Ready (the summary of ControlPlaneEndpointReady) and Paused, and
// their reasons.
const (
	// KubernetesClusterControlPlaneEndpointReadyCondition mirrors the cluster's NodeService: the endpoint
	// Service exists and has an address.
	KubernetesClusterControlPlaneEndpointReadyCondition = "ControlPlaneEndpointReady"
	// KubernetesClusterControlPlaneEndpointReadyReason: the endpoint Service has its address.
	KubernetesClusterControlPlaneEndpointReadyReason = "EndpointReady"
	// KubernetesClusterControlPlaneEndpointNotReadyReason: the endpoint Service is not there or has no
	// address yet; the message says which.
	KubernetesClusterControlPlaneEndpointNotReadyReason = "EndpointNotReady"

	// KubernetesClusterFailureDomainsReadyCondition says where status.failureDomains come from, or why they
	// could not be discovered. It is not part of Ready: a cluster without failure domains works, on any
	// outer Node.
	KubernetesClusterFailureDomainsReadyCondition = "FailureDomainsReady"
	// KubernetesClusterFailureDomainsDeclaredReason: the failure domains are spec.failureDomains.
	KubernetesClusterFailureDomainsDeclaredReason = "Declared"
	// KubernetesClusterFailureDomainsDiscoveredReason: the failure domains are the outer Nodes' zones; the
	// message names those no new control plane goes to.
	KubernetesClusterFailureDomainsDiscoveredReason = "Discovered"
	// KubernetesClusterFailureDomainsNotDiscoveredReason: the outer Nodes could not be listed; the failure
	// domains published last stay.
	KubernetesClusterFailureDomainsNotDiscoveredReason = "DiscoveryFailed"

	// KubernetesClusterDeletingReason: the KubernetesCluster is being deleted.
	KubernetesClusterDeletingReason = "Deleting"
	// KubernetesClusterReadyReason, KubernetesClusterNotReadyReason and KubernetesClusterReadyUnknownReason
	// are Ready's reasons as its summary finds the conditions it summarizes.
	KubernetesClusterReadyReason        = "Ready"
	KubernetesClusterNotReadyReason     = "NotReady"
	KubernetesClusterReadyUnknownReason = "ReadyUnknown"
)

// Conditions of a KubernetesMachine, besides Ready (the summary of NodePodReady) and Paused, and their reasons.
const (
	// KubernetesMachineNodePodReadyCondition mirrors the NodePod's Ready: its Pod is ready and its bootstrap
	// completed.
	KubernetesMachineNodePodReadyCondition = "NodePodReady"
	// KubernetesMachineNodePodReadyReason: the NodePod is Ready.
	KubernetesMachineNodePodReadyReason = "NodePodReady"
	// KubernetesMachineNodePodNotReadyReason: the NodePod is not Ready; the message is the NodePod's.
	KubernetesMachineNodePodNotReadyReason = "NodePodNotReady"
	// KubernetesMachineWaitingForClusterInfrastructureReason: the Cluster's infrastructure is not provisioned
	// yet.
	KubernetesMachineWaitingForClusterInfrastructureReason = "WaitingForClusterInfrastructure"
	// KubernetesMachineWaitingForBootstrapDataReason: the Machine has no bootstrap data yet.
	KubernetesMachineWaitingForBootstrapDataReason = "WaitingForBootstrapData"
	// KubernetesMachineUnknownFailureDomainReason: the Machine names a failure domain its KubernetesCluster
	// does not have; no node Pod is made until it does.
	KubernetesMachineUnknownFailureDomainReason = "UnknownFailureDomain"

	// KubernetesMachineBootstrappedCondition mirrors the NodePod's Bootstrapped: how far the bootstrap data
	// got, with the NodePod's reasons.
	KubernetesMachineBootstrappedCondition = "Bootstrapped"

	// KubernetesMachineDeletingReason: the KubernetesMachine is being deleted.
	KubernetesMachineDeletingReason = "Deleting"
	// KubernetesMachineReadyReason, KubernetesMachineNotReadyReason and KubernetesMachineReadyUnknownReason
	// are Ready's reasons as its summary finds the conditions it summarizes.
	KubernetesMachineReadyReason        = "Ready"
	KubernetesMachineNotReadyReason     = "NotReady"
	KubernetesMachineReadyUnknownReason = "ReadyUnknown"
)
