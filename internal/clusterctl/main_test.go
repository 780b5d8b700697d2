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

package clusterctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// version is the release hack/release-artifacts.sh writes and clusterctl reads.
const version = "v0.1.0"

// providerNamespace is where clusterctl init puts the provider.
const providerNamespace = "capkn-system"

var (
	// release is the directory of the release: infrastructure-components.yaml, metadata.yaml, templates.
	release string
	// clusterctlConfig is the clusterctl configuration naming the release.
	clusterctlConfig string
	// clusterctlBin is the clusterctl built from the Go module proxy.
	clusterctlBin string
	// kubeconfig reaches the test API server, which plays the management cluster.
	kubeconfig string
	// clusterctlHome keeps clusterctl away from the user's own configuration and overrides.
	clusterctlHome string

	env  *testenv.Env
	kube client.Client
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "capkn-clusterctl-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := setup(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}

// setup builds the release with the script make uses, and starts an API server that looks like a management
// cluster after clusterctl init: Cluster API's CRDs, the provider's CRDs, and the clusterctl inventory entry
// for the provider.
func setup(tmp string) error {
	// make test builds clusterctl (bin/clusterctl) before go test starts, so that go test's timeout measures
	// the tests alone; no test builds it.
	if clusterctlBin = os.Getenv("CLUSTERCTL"); clusterctlBin == "" {
		return errors.New("CLUSTERCTL is not set: run the tests with make test, which builds bin/clusterctl first")
	}
	if _, err := os.Stat(clusterctlBin); err != nil {
		return fmt.Errorf("CLUSTERCTL=%s: %w; make clusterctl builds it", clusterctlBin, err)
	}
	root := testenv.RepoRoot()
	out := filepath.Join(tmp, "output")
	if _, err := script(root, "hack/release-artifacts.sh", out, version); err != nil {
		return err
	}
	release = filepath.Join(out, "repository", "infrastructure-kubernetes", version)
	clusterctlConfig = filepath.Join(out, "clusterctl.yaml")

	crds, err := testenv.ClusterAPICRDs()
	if err != nil {
		return err
	}
	inventoryCRD, err := clusterctlInventoryCRD()
	if err != nil {
		return err
	}
	if env, err = testenv.Start(append(crds, inventoryCRD)...); err != nil {
		return err
	}
	if kube, err = client.New(env.Config, client.Options{Scheme: env.Scheme}); err != nil {
		return err
	}
	if err := installInventory(context.Background()); err != nil {
		return fmt.Errorf("cannot record the provider in the clusterctl inventory: %w", err)
	}

	kc, err := env.Kubeconfig("clusterctl")
	if err != nil {
		return err
	}
	kubeconfig = filepath.Join(tmp, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return err
	}
	clusterctlHome = filepath.Join(tmp, "home")
	return os.MkdirAll(clusterctlHome, 0o755)
}

// script runs a repository script with bash and returns its stdout.
func script(root, path string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", append([]string{filepath.Join(root, path)}, args...)...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s failed: %w\n%s", path, err, stderr.String())
	}
	return stdout.String(), nil
}

// clusterctlInventoryCRD is the CRD of clusterctl's Provider inventory, from the cluster-api module.
func clusterctlInventoryCRD() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/cluster-api")
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot locate the sigs.k8s.io/cluster-api module: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("cannot locate the sigs.k8s.io/cluster-api module in %q: %v", out, err)
	}
	return filepath.Join(mod.Dir, "cmd", "clusterctl", "config", "crd", "bases", "clusterctl.cluster.x-k8s.io_providers.yaml"), nil
}

// installInventory records the provider as clusterctl init would, so that clusterctl generate finds its
// version without being told.
func installInventory(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: providerNamespace}}
	if err := kube.Create(ctx, ns); err != nil {
		return err
	}
	p := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3",
		"kind":       "Provider",
		"metadata": map[string]any{
			"name":      "infrastructure-kubernetes",
			"namespace": providerNamespace,
			"labels": map[string]any{
				"clusterctl.cluster.x-k8s.io": "",
				"cluster.x-k8s.io/provider":   "infrastructure-kubernetes",
			},
		},
		"providerName": "kubernetes",
		"type":         "InfrastructureProvider",
		"version":      version,
	}}
	return kube.Create(ctx, p)
}

// clusterctl runs clusterctl against the test API server with only the given variables in its environment,
// so that nothing from the caller's environment fills in a template variable.
func clusterctl(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	cmd := exec.Command(clusterctlBin, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + clusterctlHome,
		"XDG_CONFIG_HOME=" + filepath.Join(clusterctlHome, ".config"),
		"KUBECONFIG=" + kubeconfig,
		// No network: the check for a newer clusterctl would only wait for a release site.
		"CLUSTERCTL_DISABLE_VERSIONCHECK=true",
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("clusterctl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// decode returns the objects of a multi-document YAML stream, skipping empty documents. Numbers come out as
// int64, as from the API server.
func decode(data []byte) ([]*unstructured.Unstructured, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		var raw json.RawMessage
		err := d.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if u.GetAPIVersion() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document %d has no apiVersion or name: %s", i, raw)
		}
		objs = append(objs, u)
	}
}

// ref names an object in failure messages.
func ref(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}
