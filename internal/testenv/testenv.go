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

// Package testenv starts a real kube-apiserver and etcd for controller tests, with the provider's CRDs
// installed. The binaries come from hack/testbin.sh, which builds them from the Go module proxy once and
// caches them outside the repository.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis"
)

// Env is a running API server.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Scheme knows the built-in kinds, CRDs and the provider's kinds.
	Scheme *kruntime.Scheme

	env *envtest.Environment
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Assets returns the directory of the test binaries: KUBEBUILDER_ASSETS when set, else what
// hack/testbin.sh prints (building the binaries on first use).
func Assets() (string, error) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d, nil
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "hack", "testbin.sh"))
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/testbin.sh failed: %w\n%s", err, errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// Start starts an API server with the CRDs under the given directories (absolute, or relative to the
// repository root) in addition to the provider's own package/provider/crds.
func Start(crdDirs ...string) (*Env, error) {
	dir, err := Assets()
	if err != nil {
		return nil, err
	}
	paths := []string{filepath.Join(RepoRoot(), "package", "provider", "crds")}
	for _, d := range crdDirs {
		if !filepath.IsAbs(d) {
			d = filepath.Join(RepoRoot(), d)
		}
		paths = append(paths, d)
	}
	s := kruntime.NewScheme()
	for _, add := range []func(*kruntime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, apis.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	read := &envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true}
	if err := envtest.ReadCRDFiles(read); err != nil {
		return nil, fmt.Errorf("cannot read CRDs: %w", err)
	}
	crds := read.CRDs
	for _, crd := range crds {
		labelContract(crd)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDs:                  crds,
		Scheme:                s,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("cannot start kube-apiserver and etcd from %s: %w", dir, err)
	}
	return &Env{Config: cfg, Scheme: s, env: env}, nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error {
	return e.env.Stop()
}

// Kubeconfig returns a kubeconfig for a new administrator of the API server, as a user would put in a
// ProviderConfig's Secret.
func (e *Env) Kubeconfig(name string) ([]byte, error) {
	u, err := e.env.AddUser(envtest.User{Name: name, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	return u.KubeConfig()
}

// contractLabel is how Cluster API finds the version of a provider's CRD that implements its v1beta2 contract.
const contractLabel = "cluster.x-k8s.io/v1beta2"

// labelContract gives Cluster API's own kubeadm CRDs the contract label its release components carry: the
// CRD bases in its module lack it, because kustomize adds it when the components are built.
func labelContract(crd *apiextensionsv1.CustomResourceDefinition) {
	g := crd.Spec.Group
	if g != "bootstrap.cluster.x-k8s.io" && g != "controlplane.cluster.x-k8s.io" {
		return
	}
	if _, ok := crd.Labels[contractLabel]; ok {
		return
	}
	if crd.Labels == nil {
		crd.Labels = map[string]string{}
	}
	crd.Labels[contractLabel] = "v1beta2"
}
