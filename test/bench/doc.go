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

// Package bench measures what the provider adds on top of the outer cluster it runs node Pods in. It starts a
// real kube-apiserver and etcd, kwok as the kubelet of one fake Node, and the provider manager as a separate
// process, then times N plain Pods (the floor: what the outer cluster alone needs) against N NodePods and N
// KubernetesMachines, and reads the provider's CPU time, peak memory and API requests from the outside.
//
// For the KubernetesMachines, Cluster API's CRDs are installed before the provider starts, so that it runs
// its Cluster API controllers, but none of Cluster API's own controllers run: the harness plays them (see
// phases.machines), and kwok answers the exec of each node's bootstrap check (see kwokExec).
//
// No kube-scheduler runs: the harness binds unscheduled Pods to the fake Node itself, for the floor and the
// NodePods alike, honouring their nodeSelector and tolerations.
package bench
