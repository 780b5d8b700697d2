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

import xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

// Condition types a NodePod reports besides Crossplane's Ready and Synced.
const (
	// TypeBootstrapped says whether the node's bootstrap data ran to completion on the current Pod.
	TypeBootstrapped xpv2.ConditionType = "Bootstrapped"
	// TypePodUpToDate says whether the running Pod matches forProvider.
	TypePodUpToDate xpv2.ConditionType = "PodUpToDate"
	// TypeNetworkReady says whether the node reaches its peers through the default pod network, as the node
	// itself reports it. Absent until the node first answers, and when disableDefaultCNI is set. False makes
	// Ready False.
	TypeNetworkReady xpv2.ConditionType = "NetworkReady"
)

// Reasons of the NetworkReady condition, and of Ready when the network makes it False.
const (
	// ReasonNetworkAvailable: the node reaches every peer through the overlay.
	ReasonNetworkAvailable xpv2.ConditionReason = "PodNetworkAvailable"
	// ReasonNetworkUnavailable: a peer has been unreachable for a while; the message names it.
	ReasonNetworkUnavailable xpv2.ConditionReason = "PodNetworkUnavailable"
	// ReasonNetworkUnknown: the node answered before but does not now; the message says why.
	ReasonNetworkUnknown xpv2.ConditionReason = "NetworkStatusUnknown"
)

// Reasons of the Bootstrapped condition.
const (
	ReasonNoBootstrapData      xpv2.ConditionReason = "NoBootstrapData"
	ReasonWaitingForData       xpv2.ConditionReason = "WaitingForBootstrapData"
	ReasonWaitingForPod        xpv2.ConditionReason = "WaitingForPod"
	ReasonReadyToBootstrap     xpv2.ConditionReason = "ReadyToBootstrap"
	ReasonBootstrapping        xpv2.ConditionReason = "Bootstrapping"
	ReasonBootstrapFailed      xpv2.ConditionReason = "BootstrapFailed"
	ReasonBootstrapSucceeded   xpv2.ConditionReason = "BootstrapSucceeded"
	ReasonInvalidBootstrapData xpv2.ConditionReason = "InvalidBootstrapData"
)

// Reasons of the Ready condition besides Crossplane's.
const (
	// ReasonPodLost: the Pod ran and is gone, and podLossPolicy Report says not to create it again.
	ReasonPodLost xpv2.ConditionReason = "PodLost"
	// ReasonClaimPending: the node Pod waits for PersistentVolumeClaims that are not bound; the message names
	// them and says why, as far as the claims tell.
	ReasonClaimPending xpv2.ConditionReason = "ClaimPending"
)

// Reasons of the PodUpToDate condition.
const (
	ReasonPodMatches            xpv2.ConditionReason = "PodMatchesSpec"
	ReasonImmutableFieldChanged xpv2.ConditionReason = "ImmutableFieldChanged"
	ReasonRecreating            xpv2.ConditionReason = "Recreating"
)

// OrphanManagementPolicies let a managed resource go without deleting what it manages, as clusterctl move
// needs when it deletes the objects it has copied to another management cluster.
var OrphanManagementPolicies = xpv2.ManagementPolicies{
	xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize,
}
