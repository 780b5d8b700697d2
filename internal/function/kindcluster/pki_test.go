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

package kindcluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/cluster-api/util/certs"
	"sigs.k8s.io/cluster-api/util/kubeconfig"
	"sigs.k8s.io/yaml"
)

// TestPKIFromSecretDataWrittenBefore reads a Secret the function wrote before it used Cluster API's
// helpers (testdata/pki-secret-v1.yaml, generated at testNow): an upgraded function must take over the
// running cluster's CAs, not issue new ones.
func TestPKIFromSecretDataWrittenBefore(t *testing.T) {
	b, err := os.ReadFile("testdata/pki-secret-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]string
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	d := map[string][]byte{}
	for k, v := range s {
		d[k] = []byte(v)
	}
	p, err := PKIFromSecretData(d)
	if err != nil {
		t.Fatalf("PKIFromSecretData: %v", err)
	}
	if diff := cmp.Diff(d, p.SecretData()); diff != "" {
		t.Errorf("the Secret would be rewritten (-before +after):\n%s", diff)
	}
	admin, err := RandomGenerator{}.NewAdmin(p.CA, testNow)
	if err != nil {
		t.Fatalf("NewAdmin with the CA written before: %v", err)
	}
	p.Admin = admin
	if _, err := PKIFromSecretData(p.SecretData()); err != nil {
		t.Errorf("PKIFromSecretData after reissuing the admin certificate: %v", err)
	}
}

// TestNewPKI checks the material kubeadm gets: its own CA names, validity from the function's clock, and
// P-256 keys.
func TestNewPKI(t *testing.T) {
	p := testPKI()
	for _, ca := range []struct {
		kp KeyPair
		cn string
	}{{p.CA, "kubernetes"}, {p.FrontProxyCA, "front-proxy-ca"}, {p.EtcdCA, "etcd-ca"}} {
		c, key, err := parseKeyPair(ca.kp)
		if err != nil {
			t.Fatalf("%s: %v", ca.cn, err)
		}
		if c.Subject.CommonName != ca.cn || !c.IsCA {
			t.Errorf("CA %q: common name %q, IsCA %t", ca.cn, c.Subject.CommonName, c.IsCA)
		}
		if !c.NotBefore.Equal(testNow.Add(-clockSkew)) || !c.NotAfter.Equal(testNow.Add(caValidity)) {
			t.Errorf("CA %q valid %s to %s, want from %s for %s", ca.cn, c.NotBefore, c.NotAfter, testNow.Add(-clockSkew), caValidity)
		}
		if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
			t.Errorf("CA %q key is a %T, want an ECDSA P-256 key", ca.cn, key)
		}
	}
	blk, _ := pem.Decode(p.ServiceAccount.Cert)
	if blk == nil {
		t.Fatal("sa.pub is not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.DecodePrivateKeyPEM(p.ServiceAccount.Key)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := key.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() || !k.PublicKey.Equal(pub) {
		t.Errorf("sa.key is a %T that does not match sa.pub, want the ECDSA P-256 key of sa.pub", key)
	}
}

// TestKubeconfigIsClusterAPIs checks that the kubeconfig is laid out as Cluster API's kubeconfig.New lays
// out a cluster's admin kubeconfig, and its client certificate has the same subject and usage. kubeconfig.New
// issues a new key on every call, so the function renders the one it keeps in the cluster certificates
// Secret instead.
func TestKubeconfigIsClusterAPIs(t *testing.T) {
	p := testPKI()
	c := testCluster(t, "kubernetesVersion: v1.37.2")
	b, err := Kubeconfig(c, p, testEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	caCert, caKey, err := parseKeyPair(p.CA)
	if err != nil {
		t.Fatal(err)
	}
	want, err := kubeconfig.New(c.Name, testEndpoint.URL(), caCert, caKey, kubeconfig.KeyEncryptionAlgorithm(keyAlgorithm))
	if err != nil {
		t.Fatal(err)
	}
	ignore := []cmp.Option{
		cmpopts.IgnoreFields(clientcmdapi.AuthInfo{}, "ClientCertificateData", "ClientKeyData"),
		cmpopts.IgnoreUnexported(clientcmdapi.Config{}),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(*want, *got, ignore...); diff != "" {
		t.Errorf("kubeconfig (-Cluster API's, +ours):\n%s", diff)
	}
	for user, a := range got.AuthInfos {
		ours, err := parseCert(a.ClientCertificateData)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := parseCert(want.AuthInfos[user].ClientCertificateData)
		if err != nil {
			t.Fatalf("Cluster API's kubeconfig has no user %s: %v", user, err)
		}
		if diff := cmp.Diff(theirs.Subject.String(), ours.Subject.String()); diff != "" {
			t.Errorf("client certificate subject (-Cluster API's, +ours):\n%s", diff)
		}
		if diff := cmp.Diff(theirs.ExtKeyUsage, ours.ExtKeyUsage); diff != "" {
			t.Errorf("client certificate usage (-Cluster API's, +ours):\n%s", diff)
		}
	}
}
