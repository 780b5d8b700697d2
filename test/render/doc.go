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

// Package render runs `crossplane composition render` (Crossplane CLI v2.5.0 with the Crossplane v2.4.0
// render engine, both built from the Go module proxy by make test or make render before go test starts, and
// named in CROSSPLANE_CLI and CROSSPLANE_CORE) over the KindCluster examples and the configuration package's
// Compositions, with function-kindcluster served in process through render's Development runtime, and
// compares the output with golden files in testdata/golden.
//
// TestXRDSchema installs the KindCluster XRD's schema as a CRD in a real kube-apiserver (hack/testbin.sh)
// and checks its defaults and its validation messages, which render does not apply.
//
// Update the golden files with `make render-golden` (go test ./test/render -update) and review the diff.
package render
