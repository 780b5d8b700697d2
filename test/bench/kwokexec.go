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

package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

// fakeTest stands in for test(1) in the commands kwok runs for exec into node Pods: it says that every node
// is already bootstrapped and leaves any other test to the real one.
var fakeTest = fmt.Sprintf(`#!/bin/sh
if [ "$#" -eq 2 ] && [ "$1" = -e ] && [ "$2" = %q ]; then exit 0; fi
exec /usr/bin/test "$@"
`, bootstrap.SentinelPath)

// kwokExec writes what kwok needs to answer exec into the node Pods of the KubernetesMachine phases: a
// ClusterExec config that runs such commands on this machine, a directory with a fake test(1) to put first on
// kwok's PATH (where it looks commands up) and returns that PATH, and a self-signed serving certificate for
// kwok's kubelet API (the API server does not check a kubelet's certificate unless told to).
//
// A NodePod with bootstrap data first execs `test -e <sentinel>` into its Pod to learn whether the node was
// bootstrapped. kwok cannot report a command's exit code (it turns any failure into an internal error), so
// the answer "not yet" (exit code 1) cannot reach the provider; the fake answers "bootstrapped" instead. Each
// KubernetesMachine's bootstrap therefore costs one exec round trip through the API server and kwok, and the
// bootstrap commands themselves (which the harness's empty cloud-config leaves at the provider's wait for
// containerd) do not run.
func kwokExec(work string) (config, path, cert, key string, err error) {
	bin := filepath.Join(work, "kwok-exec-bin")
	if err := os.MkdirAll(bin, 0o750); err != nil {
		return "", "", "", "", err
	}
	if err := os.WriteFile(filepath.Join(bin, "test"), []byte(fakeTest), 0o755); err != nil {
		return "", "", "", "", err
	}
	path = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	config = filepath.Join(work, "kwok-exec.yaml")
	doc := fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: bench-machines
spec:
  selector:
    matchNamespaces: [%s]
  execs:
  - local: {}
`, machineNamespace)
	if err := os.WriteFile(config, []byte(doc), 0o600); err != nil {
		return "", "", "", "", err
	}

	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: nodeName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{nodeName},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pk.PublicKey, pk)
	if err != nil {
		return "", "", "", "", err
	}
	kb, err := x509.MarshalECPrivateKey(pk)
	if err != nil {
		return "", "", "", "", err
	}
	cert, key = filepath.Join(work, "kwok-serving.crt"), filepath.Join(work, "kwok-serving.key")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", "", "", err
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return "", "", "", "", err
	}
	return config, path, cert, key, nil
}
