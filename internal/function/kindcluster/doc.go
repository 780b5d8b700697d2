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

// Package kindcluster is the composition function behind the KindCluster composite resource. It turns a
// KindCluster's spec into the composed resources of one of two modes: capi (Cluster API's Cluster,
// KubeadmControlPlane and MachineDeployment over this provider's KubernetesCluster and
// KubernetesMachineTemplates) or direct (NodeService and NodePods with kubeadm bootstrap data of its own, for
// installations without Cluster API), and reports endpoint, readiness, node counts and the kubeconfig Secret
// back into the KindCluster's status.
//
// Everything here is pure: the observed state comes in with the request, the desired state goes out with
// the response. The only state the function keeps, the direct mode's cluster certificates and bootstrap
// token, lives in a composed Secret and is read back from the observed resources on every call.
package kindcluster
