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

// Package reconciler holds what the provider's controllers configure alike: the managed resource
// controllers' set-up (NewManagedController, which both NodePod and NodeService use) and reconciler options,
// and the event filters and writes of the Cluster API ones.
//
// Much of it, with clients.ConsistentClient and the queue priorities of clients.Source and
// kubernetesmachine's readyFirst, trims the requests the provider makes. Each piece exists for a row of the
// benchmark (docs/bench.md, make bench), and says in its doc comment what it replaces:
//
//   - DeterministicOptions (NameAsExternalName, PatchingFinalizer, PatchingCriticalAnnotationUpdater) and
//     FinalizeOnCreate fold crossplane-runtime's separate writes of the external name, the finalizer and the
//     critical annotations into the write the managed reconciler makes before Create anyway:
//     nodepod_server_writes_per_nodepod and api_requests_per_nodepod, and a NodeService's nine writes to five
//     (TestNodeServiceWritesOnlyWhatChanged). crossplane-runtime has no option for either; its own finalizer
//     and annotation updaters are what these replace.
//   - DesiredStateChanged and SpecOrMetadataChanged drop the watch events of a controller's own bookkeeping
//     and status writes, each a reconcile that finds nothing new: provider_cpu, and the queue the Ready
//     write waits behind (latency_p99). crossplane-runtime's DesiredStateChanged and Cluster API's
//     predicates pass those events.
//   - SkipCreatedUpdatedDeleted drops Normal events that say what conditions say: one write each per
//     NodePod create, bootstrap and delete (nodepod_server_writes_per_nodepod).
//   - PatchChanges writes a Cluster API object's changes in at most two requests, where Cluster API's patch
//     helper (sigs.k8s.io/cluster-api/util/patch) makes three, and the next reconcile a fourth to record the
//     new generation: kubernetesmachine_server_writes_per_machine.
//     It gives up the helper's owned-condition conflict resolution (patch.WithOwnedConditions): nothing but
//     this provider writes the status of its KubernetesClusters and KubernetesMachines, so a conflict can
//     only be its own stale read, and the requeue it costs re-reads and writes again; PATCH(409) stays 0 in
//     the bench.
//   - clients.ConsistentClient waits, on a read, for the cache to see the client's own writes, and skips
//     writes that change nothing: PUT(409) and PATCH(409) at 0, and a node Pod never created twice. Cluster
//     API v1.14 ships the same guarantee in sigs.k8s.io/cluster-api/util/controller (copied from
//     Kubernetes' pkg/controller/util/consistency): its controller Builder skips a reconcile while the cache
//     is older than the writes the reconciler recorded with WroteAt. crossplane-runtime's managed reconciler
//     writes through its client and records nothing, so the NodePod and NodeService controllers cannot use
//     it; the KubernetesCluster and KubernetesMachine controllers could, by recording each write, which is
//     not done yet.
//   - clients.OuterChangePriority and readyFirst put a NodePod whose Pod turned Ready, and a
//     KubernetesMachine whose NodePod did, ahead of a backlog of creates in controller-runtime's priority
//     queue: latency_p50 and kubernetesmachine_after_nodepod_p50.
package reconciler
