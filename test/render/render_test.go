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

package render

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/function/kindcluster"
)

var update = flag.Bool("update", false, "write the render output to testdata/golden instead of comparing")

// root is the repository root, from this package's directory.
const root = "../.."

// Where the binaries come from: an environment variable naming a built one, or else a build from the
// module that pins it (cached by Go after the first time).
var (
	cli  = tool{env: "CROSSPLANE_CLI", module: "hack/tools/crossplane", pkg: "github.com/crossplane/cli/v2/cmd/crossplane"}
	core = tool{env: "CROSSPLANE_CORE", module: "hack/tools/crossplane-core", pkg: "github.com/crossplane/crossplane/v2/cmd/crossplane"}
)

type tool struct{ env, module, pkg string }

// path returns the tool's binary, building it into dir when the environment does not name one.
func (tl tool) path(t *testing.T, dir string) string {
	t.Helper()
	if p := os.Getenv(tl.env); p != "" {
		return p
	}
	out := filepath.Join(dir, filepath.Base(tl.module))
	cmd := exec.Command("go", "build", "-o", out, tl.pkg)
	cmd.Dir = filepath.Join(root, tl.module)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot build %s in %s (set %s to a built binary instead): %v\n%s", tl.pkg, tl.module, tl.env, err, b)
	}
	return out
}

// serve runs the function on a local port, as render's Development runtime expects it, and returns the
// address.
func serve(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fnv1.RegisterFunctionRunnerServiceServer(srv, &kindcluster.Function{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// functions is the Function the Compositions refer to, pointed at the in-process function.
func functions(t *testing.T, dir, addr string) string {
	t.Helper()
	p := filepath.Join(dir, "functions.yaml")
	y := fmt.Sprintf(`apiVersion: pkg.crossplane.io/v1
kind: Function
metadata:
  name: kindnode-function-kindcluster
  annotations:
    render.crossplane.io/runtime: Development
    render.crossplane.io/runtime-development-target: %s
spec:
  package: ghcr.io/kindnode/function-kindcluster:v0.1.0
`, addr)
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	namespaced = "package/configuration/apis/kindcluster/"
	legacy     = "package/configuration/apis/xkindcluster/"
)

// TestRender renders each example with its Composition and XRD and compares with the golden files.
func TestRender(t *testing.T) {
	dir := t.TempDir()
	cliBin, coreBin := cli.path(t, dir), core.path(t, dir)
	fns := functions(t, dir, serve(t))

	cases := map[string]struct {
		reason      string
		xr          string
		composition string
		xrd         string
		observed    string
		wantErr     string
	}{
		"capi": {
			reason:      "The capi example: Cluster API objects, all waiting for Cluster API.",
			xr:          "examples/kindcluster/capi/kindcluster.yaml",
			composition: namespaced + "composition-capi.yaml",
			xrd:         namespaced + "definition.yaml",
		},
		"direct": {
			reason:      "The direct example once its first control-plane node is ready: bootstrap data, kubeconfig and workers.",
			xr:          "examples/kindcluster/direct/kindcluster.yaml",
			composition: namespaced + "composition-direct.yaml",
			xrd:         namespaced + "definition.yaml",
			observed:    "test/render/testdata/direct-observed.yaml",
		},
		"legacy-direct": {
			reason:      "The legacy claim's XKindCluster composes into the claim's namespace.",
			xr:          "test/render/testdata/xkindcluster.yaml",
			composition: legacy + "composition-direct.yaml",
			xrd:         legacy + "definition.yaml",
			observed:    "test/render/testdata/direct-observed.yaml",
		},
		"invalid-version": {
			reason:      "render applies the XRD's defaults but not its validation; the function refuses a malformed version too.",
			xr:          "test/render/testdata/invalid-version.yaml",
			composition: namespaced + "composition-direct.yaml",
			xrd:         namespaced + "definition.yaml",
			wantErr:     `invalid KindCluster: spec.kubernetesVersion "1.37" is not of the form vMAJOR.MINOR.PATCH, e.g. v1.37.2`,
		},
		"invalid-subnets": {
			reason:      "The function refuses overlapping subnets with a message saying so.",
			xr:          "test/render/testdata/invalid-subnets.yaml",
			composition: namespaced + "composition-capi.yaml",
			xrd:         namespaced + "definition.yaml",
			wantErr:     "invalid KindCluster: spec.podSubnet 10.96.0.0/12 and spec.serviceSubnet 10.96.0.0/16 overlap",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := []string{"composition", "render", tc.xr, tc.composition, fns,
				"--crossplane-binary=" + coreBin, "--xrd=" + tc.xrd, "--include-function-results", "--timeout=30s"}
			if tc.observed != "" {
				args = append(args, "--observed-resources="+tc.observed)
			}
			cmd := exec.Command(cliBin, args...)
			cmd.Dir = root
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(stderr.String(), tc.wantErr) {
					t.Fatalf("%s\ncrossplane composition render: got error %v with stderr\n%s\nwant an error containing %q", tc.reason, err, stderr.String(), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\ncrossplane composition render: %v\n%s", tc.reason, err, stderr.String())
			}
			got := normalize(stdout.String())
			golden := filepath.Join("testdata", "golden", name+".yaml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil { //nolint:gosec // A checked-in golden file.
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run make render-golden to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s\nrender output differs from %s (-golden +got); if the change is intended, run make render-golden and review:\n%s", tc.reason, golden, diff)
			}
		})
	}
}

// normalize sorts the Result documents of render's output: the render engine reports composed resources
// that are not ready in map order. The other documents keep their order (XR first, then composed
// resources by name).
func normalize(out string) string {
	var objects, results []string
	for _, doc := range strings.Split(strings.TrimPrefix(out, "---\n"), "\n---\n") {
		if strings.Contains("\n"+doc, "\nkind: Result\n") {
			results = append(results, strings.TrimSuffix(doc, "\n"))
			continue
		}
		objects = append(objects, strings.TrimSuffix(doc, "\n"))
	}
	slices.Sort(results)
	return "---\n" + strings.Join(append(objects, results...), "\n---\n") + "\n"
}
