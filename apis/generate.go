//go:build generate

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

// Generate deepcopy methods, CRDs, crossplane-runtime method sets and the manager's RBAC. Run through
// `make generate`.

// The Crossplane package carries the managed resource and ProviderConfig CRDs; the Cluster API kinds go to
// config/crd/bases, from which the clusterctl components are built. The clusterctl components carry the
// kindnode.dev CRDs too (the Cluster API controllers create NodePods and NodeServices), so they are written
// a second time into config/crd/kindnode: kustomize reads no file outside config/.
//go:generate rm -rf ../package/provider/crds ../config/crd/bases ../config/crd/kindnode
//go:generate go tool -modfile=../hack/tools/go.mod controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./...
//go:generate go tool -modfile=../hack/tools/go.mod controller-gen crd:crdVersions=v1 paths=./v1alpha1/... paths=./kindnode/... output:artifacts:config=../package/provider/crds
//go:generate go tool -modfile=../hack/tools/go.mod controller-gen crd:crdVersions=v1 paths=./v1alpha1/... paths=./kindnode/... output:artifacts:config=../config/crd/kindnode
//go:generate go tool -modfile=../hack/tools/go.mod controller-gen crd:crdVersions=v1 paths=./infrastructure/... output:artifacts:config=../config/crd/bases
//go:generate go tool -modfile=../hack/tools/go.mod angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./...

// The provider manager's ClusterRole (config/rbac/role.yaml, which clusterctl installs) is what the
// +kubebuilder:rbac markers next to the code in internal/ and cmd/provider ask for.
//go:generate go tool -modfile=../hack/tools/go.mod controller-gen rbac:roleName=manager-role,headerFile=../hack/rbac-header.yaml.txt paths=../internal/... paths=../cmd/provider/... output:rbac:dir=../config/rbac

package apis
