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
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// coreModule is the module that pins Crossplane core; its go.mod names the version whose CRDs and binary
// the tests use.
const coreModule = "hack/tools/crossplane-core"

// crossplaneCore returns the `crossplane` core binary: CROSSPLANE_CORE when set, else one built from
// hack/tools/crossplane-core with its version stamped in as Crossplane's releases have it (packages check
// their crossplane.version constraint against it), kept in the cache hack/testbin.sh uses and reused while
// that module's go.sum is unchanged.
func crossplaneCore() (string, error) {
	if p := os.Getenv("CROSSPLANE_CORE"); p != "" {
		out, err := exec.Command(p, "--version").Output() //nolint:gosec // The binary the caller named.
		if err != nil || strings.TrimSpace(string(out)) == "" {
			return "", fmt.Errorf("CROSSPLANE_CORE=%s reports no version (%v): packages cannot check their crossplane.version constraint; build it with make bin/crossplane-core", p, err)
		}
		return p, nil
	}
	mod, err := crossplaneModule()
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), coreModule, "go.sum"))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(sum)
	out := filepath.Join(cacheRoot(), "crossplane-core", fmt.Sprintf("%s-%x", mod.Version, h[:6]), "crossplane")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.%d", out, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "-ldflags=-X github.com/crossplane/crossplane-runtime/v2/pkg/version.version="+mod.Version,
		"github.com/crossplane/crossplane/v2/cmd/crossplane")
	cmd.Dir = filepath.Join(testenv.RepoRoot(), coreModule)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build Crossplane core in %s (set CROSSPLANE_CORE to a built binary instead): %w\n%s", coreModule, err, b)
	}
	return out, os.Rename(tmp, out)
}

// crossplaneCLI returns the `crossplane` CLI: CROSSPLANE_CLI when set, else the one `go tool` builds from
// hack/tools/crossplane and keeps in Go's build cache.
func crossplaneCLI() (string, error) {
	if p := os.Getenv("CROSSPLANE_CLI"); p != "" {
		return p, nil
	}
	cmd := exec.Command("go", "tool", "-n", "crossplane")
	cmd.Dir = filepath.Join(testenv.RepoRoot(), "hack", "tools", "crossplane")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("cannot build the Crossplane CLI in hack/tools/crossplane (set CROSSPLANE_CLI to a built binary instead): %w\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// controllerManager returns kube-controller-manager from the test binaries' directory, building it there
// with hack/k8s-build.sh (the way hack/testbin.sh builds kube-apiserver) on first use. The tests run its
// garbage collector: Crossplane deletes the composed resources it drops with foreground propagation, which
// only the garbage collector completes.
func controllerManager() (string, error) {
	dir, err := testenv.Assets()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kube-controller-manager")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "hack", "k8s-build.sh"), dir, "kube-controller-manager")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cannot build kube-controller-manager with hack/k8s-build.sh: %w", err)
	}
	return bin, nil
}

// cacheRoot is where hack/testbin.sh keeps what it builds.
func cacheRoot() string {
	if d := os.Getenv("CAPK_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "cluster-api-provider-kubernetes")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "cluster-api-provider-kubernetes")
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

// buildFunction builds cmd/function-kindcluster into dir: the function under test is always the current
// source.
func buildFunction(dir string) (string, error) {
	out := filepath.Join(dir, "function-kindcluster")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/function-kindcluster")
	cmd.Dir = testenv.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build cmd/function-kindcluster: %w\n%s", err, b)
	}
	return out, nil
}

// freeAddress returns a loopback address with a port nothing listens on right now.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close() //nolint:errcheck // Only probing for a free port.
	return l.Addr().String(), nil
}

// waitListening waits until something accepts connections at addr, or the process exits.
func waitListening(p *process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s:\n%s", p.name, addr, p.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not listen on %s after %s:\n%s", p.name, addr, timeout, p.tail(40))
}

// process is a program the tests started, with its output in a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs bin with args and extra environment, logging to dir/name.log (and to stderr with TEST_DEBUG).
func start(dir, name, bin string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath) //nolint:gosec // A file in the test's own temporary directory.
	if err != nil {
		return nil, err
	}
	var w io.Writer = f
	if os.Getenv("TEST_DEBUG") != "" {
		w = io.MultiWriter(f, os.Stderr)
	}
	cmd := exec.Command(bin, args...) //nolint:gosec // The binaries the test built.
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to terminate and kills it if it does not within a few seconds.
func (p *process) stop() {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the last n lines of the process's log.
func (p *process) tail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
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
