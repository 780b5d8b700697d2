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

// The binaries, which make test and make render build first (bin/crossplane, bin/crossplane-core) and name in
// these environment variables, so that go test's timeout measures the tests alone; no test builds one.
var (
	cli  = tool{env: "CROSSPLANE_CLI", target: "bin/crossplane"}
	core = tool{env: "CROSSPLANE_CORE", target: "bin/crossplane-core"}
)

type tool struct{ env, target string }

// path returns the tool's binary, failing the test when the environment names none.
func (tl tool) path(t *testing.T) string {
	t.Helper()
	p := os.Getenv(tl.env)
	if p == "" {
		t.Fatalf("%s is not set: run the tests with make test or make render, which build %s first", tl.env, tl.target)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v; make %s builds it", tl.env, p, err, tl.target)
	}
	return p
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
	cliBin, coreBin := cli.path(t), core.path(t)
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
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
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
