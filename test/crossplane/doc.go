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

// Package crossplane composes KindClusters with a real Crossplane on a real API server, offline:
//
//   - kube-apiserver and etcd from hack/testbin.sh (controller-runtime envtest), with Crossplane's CRDs from
//     the github.com/crossplane/crossplane/v2 module's cluster/crds (the version hack/tools/crossplane-core
//     pins), Cluster API's CRDs and the provider's; kube-controller-manager running only its garbage
//     collector (hack/testbin.sh builds it too), which completes the foreground deletions Crossplane issues
//     for composed resources it drops;
//   - Crossplane core (`crossplane core start`, make's bin/crossplane-core: hack/tools/crossplane-core with
//     its version stamped in) as a separate process with --package-runtime=External and webhooks off;
//   - package/function and package/configuration built with `crossplane xpkg build` and installed as
//     Function and Configuration packages, served from Crossplane's package cache since no registry is
//     reachable (the Configuration skips dependency resolution: its dependencies are the Function installed
//     here and the provider running here);
//   - function-kindcluster (cmd/function-kindcluster) as a separate process serving mTLS with certificates
//     the test generates; the test plays the External package runtime: it gives the active FunctionRevision
//     the function's server certificate Secret and the function's address as status.endpoint;
//   - the provider's controllers in process, with a fake bootstrap executor (no kubelet runs next to the
//     test API server, so the test marks node Pods running as a kubelet would).
//
// The examples of examples/kindcluster are applied as they are. The tests check what Crossplane composes
// from the function's output, that the composed objects reach the provider's controllers (a composed NodePod
// becomes a node Pod, bootstrapped with the function's kubeadm data; its readiness flows back into the
// KindCluster), and that scaling the workers changes the composed set.
//
// The tests build nothing: make test (or make crossplane-envtest) builds the programs first and names them in
// CROSSPLANE_CORE, CROSSPLANE_CLI, FUNCTION_KINDCLUSTER and KUBEBUILDER_ASSETS (kube-controller-manager);
// without them the tests fail and say so. TEST_DEBUG=1 prints the logs of Crossplane, the function and the
// garbage collector as the tests run.
package crossplane
