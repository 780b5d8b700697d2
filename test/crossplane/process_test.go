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

package crossplane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprocess"
)

// coreModule is the module that pins Crossplane core; its go.mod names the version whose CRDs and binary
// the tests use.
const coreModule = "hack/tools/crossplane-core"

// program returns the program the environment variable env names. make test builds each program the tests
// run before go test starts, so that go test's timeout measures the tests alone, and hands it over this way;
// no test builds one itself.
func program(env, target string) (string, error) {
	p := os.Getenv(env)
	if p == "" {
		return "", fmt.Errorf("%s is not set: run the tests with make test or make crossplane-envtest, which build %s first", env, target)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s=%s: %w; make %s builds it", env, p, err, target)
	}
	return p, nil
}

// crossplaneCore returns the `crossplane` core binary, with its version stamped in as Crossplane's releases
// have it: packages check their crossplane.version constraint against it.
func crossplaneCore() (string, error) {
	p, err := program("CROSSPLANE_CORE", "bin/crossplane-core")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return "", fmt.Errorf("CROSSPLANE_CORE=%s reports no version (%v): packages cannot check their crossplane.version constraint; build it with make bin/crossplane-core", p, err)
	}
	return p, nil
}

// crossplaneCLI returns the `crossplane` CLI, which builds the packages.
func crossplaneCLI() (string, error) {
	return program("CROSSPLANE_CLI", "bin/crossplane")
}

// functionBinary returns cmd/function-kindcluster as make function built it from the current source.
func functionBinary() (string, error) {
	return program("FUNCTION_KINDCLUSTER", "function")
}

// controllerManager returns kube-controller-manager from the test binaries' directory, where hack/testbin.sh
// builds it next to kube-apiserver. The tests run its garbage collector: Crossplane deletes the composed
// resources it drops with foreground propagation, which only the garbage collector completes.
func controllerManager() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		return "", fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the tests with make test or make crossplane-envtest, which run hack/testbin.sh first")
	}
	bin := filepath.Join(dir, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no kube-controller-manager in KUBEBUILDER_ASSETS (%w): hack/testbin.sh builds it", err)
	}
	return bin, nil
}

type module struct{ Dir, Version string }

// crossplaneModule locates the github.com/crossplane/crossplane/v2 module hack/tools/crossplane-core pins.
func crossplaneModule() (module, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "github.com/crossplane/crossplane/v2")
	cmd.Dir = filepath.Join(testenv.RepoRoot(), coreModule)
	out, err := cmd.Output()
	if err != nil {
		return module{}, fmt.Errorf("cannot locate the github.com/crossplane/crossplane/v2 module: %w", err)
	}
	var mod module
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" || mod.Version == "" {
		return module{}, fmt.Errorf("cannot locate the github.com/crossplane/crossplane/v2 module in %q: %v", out, err)
	}
	return mod, nil
}

// crossplaneCRDs returns the cluster/crds directory of the Crossplane module hack/tools/crossplane-core pins.
func crossplaneCRDs() (string, error) {
	mod, err := crossplaneModule()
	return filepath.Join(mod.Dir, "cluster", "crds"), err
}

// waitListening waits until something accepts connections at addr, or the process exits.
func waitListening(p *process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before listening on %s:\n%s", p.Name, addr, p.Tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not listen on %s after %s:\n%s", p.Name, addr, timeout, p.Tail(40))
}

// process is a program the tests started, with its output in a log file.
type process = testprocess.Process

// start runs bin with args and extra environment, logging to dir/name.log (and to stderr with TEST_DEBUG); it
// dies with the test binary.
func start(dir, name, bin string, env []string, args ...string) (*process, error) {
	o := testprocess.Options{Env: env, SysProcAttr: dieWithParent()}
	if os.Getenv("TEST_DEBUG") != "" {
		o.Tee = os.Stderr
	}
	return testprocess.Start(name, filepath.Join(dir, name+".log"), bin, o, args...)
}

// writeMTLS generates a CA and, signed by it, a server certificate for 127.0.0.1 (the function's) and a
// client certificate (Crossplane's), and writes each as tls.crt, tls.key and ca.crt: the layout
// function-sdk-go reads from its --tls-certs-dir and Crossplane from its --tls-client-certs-dir.
func writeMTLS(serverDir, clientDir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kindnode test function CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	leaf := func(dir string, serial int64, tmpl x509.Certificate) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		for name, b := range map[string][]byte{
			"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
			"ca.crt":  caPEM,
		} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				return err
			}
		}
		return nil
	}
	if err := leaf(serverDir, 2, x509.Certificate{
		Subject:     pkix.Name{CommonName: "function-kindcluster"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return err
	}
	return leaf(clientDir, 3, x509.Certificate{
		Subject:     pkix.Name{CommonName: "crossplane"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}
