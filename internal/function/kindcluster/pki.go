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
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	bootstraputil "k8s.io/cluster-bootstrap/token/util"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	"sigs.k8s.io/cluster-api/util/certs"
	capisecret "sigs.k8s.io/cluster-api/util/secret"
)

// Keys of the cluster certificates Secret. The names are kubeadm's file names under /etc/kubernetes/pki, so
// that the Secret reads like the directory it is written to. Cluster API keeps each CA in a Secret of its
// own (<cluster>-ca, -etcd, -proxy, -sa with tls.crt and tls.key); this one Secret stays as it is so that
// functions upgraded in place read the material of the clusters they already run.
const (
	keyCACert           = "ca.crt"
	keyCAKey            = "ca.key"
	keyFrontProxyCACert = "front-proxy-ca.crt"
	keyFrontProxyCAKey  = "front-proxy-ca.key"
	keyEtcdCACert       = "etcd-ca.crt"
	keyEtcdCAKey        = "etcd-ca.key"
	keySAKey            = "sa.key"
	keySAPub            = "sa.pub"
	keyAdminCert        = "admin.crt"
	keyAdminKey         = "admin.key"
	keyBootstrapToken   = "bootstrap-token"
)

// Lifetimes of what the function issues. kubeadm gives its CAs ten years and its leaf certificates one; the
// admin certificate is reissued when it has less than adminRenewBefore left.
const (
	caValidity       = 10 * 365 * 24 * time.Hour
	adminValidity    = certs.DefaultCertDuration
	adminRenewBefore = 30 * 24 * time.Hour
	// clockSkew backdates certificates so that nodes whose clocks lag a little accept them.
	clockSkew = 5 * time.Minute
)

// keyAlgorithm is the algorithm of every key the function makes. Cluster API defaults to RSA-2048, but an
// RSA-2048 key took ~97 ms to generate here and a P-256 key ~24 µs (certs.NewSigner, 2 shared cores), and a
// new cluster needs five; kubeadm accepts both.
const keyAlgorithm = bootstrapv1.EncryptionAlgorithmECDSAP256

// adminGroup is the group of the kubeconfig's client certificate. Cluster API's kubeconfig Secrets use the
// same, so a direct-mode kubeconfig works the moment the API server does, before kubeadm has bound any
// other group to cluster-admin.
const adminGroup = "system:masters"

// KeyPair is a PEM certificate and its PEM private key.
type KeyPair struct {
	Cert []byte
	Key  []byte
}

// PKI is what a direct-mode cluster's nodes share: the three kubeadm CAs, the service account signing key,
// a bootstrap token for joining nodes, and the admin client certificate of the kubeconfig Secret. kubeadm
// uses a CA it finds on disk instead of making one, which is what lets the function know the cluster's CA
// before the cluster exists.
type PKI struct {
	CA           KeyPair
	FrontProxyCA KeyPair
	EtcdCA       KeyPair
	// ServiceAccount is the service account token signing key; Cert holds its PEM public key.
	ServiceAccount KeyPair
	Admin          KeyPair
	// BootstrapToken joins nodes: <id>.<secret>.
	BootstrapToken string
}

// Generator makes new cluster material; the function uses RandomGenerator, tests may pass their own.
type Generator interface {
	// NewPKI returns new CAs, keys and token, with certificates valid from now.
	NewPKI(now time.Time) (*PKI, error)
	// NewAdmin returns a new admin client certificate signed by ca.
	NewAdmin(ca KeyPair, now time.Time) (KeyPair, error)
}

// RandomGenerator generates material from crypto/rand, with Cluster API's key and service account
// helpers and kubeadm's bootstrap token generator. Since Go 1.26 key generation and signing ignore a
// caller's entropy source, so tests that need fixed material pass a Generator that returns it.
//
// The certificates are ours, on the function's clock: Cluster API's CA generator
// (secret.Certificates.Generate) reads time.Now, gives all three CAs the common name "kubernetes" (kubeadm
// names them kubernetes, front-proxy-ca and etcd-ca, and so do we) and serial number 0, and its client
// certificate signer (certs.Config.NewSignedCert, which kubeconfig.New uses) takes its expiry from
// time.Now, while the function decides with its own clock when the admin certificate is due.
type RandomGenerator struct{}

// NewPKI returns new CAs, keys and token.
func (g RandomGenerator) NewPKI(now time.Time) (*PKI, error) {
	p := &PKI{}
	var err error
	for _, ca := range []struct {
		into *KeyPair
		cn   string
	}{{&p.CA, "kubernetes"}, {&p.FrontProxyCA, "front-proxy-ca"}, {&p.EtcdCA, "etcd-ca"}} {
		if *ca.into, err = newCA(ca.cn, now); err != nil {
			return nil, errors.Wrapf(err, "cannot create CA %s", ca.cn)
		}
	}
	sa := &capisecret.Certificate{Purpose: capisecret.ServiceAccount, KeyEncryptionAlgorithm: keyAlgorithm}
	if err := sa.Generate(); err != nil {
		return nil, errors.Wrap(err, "cannot create the service account key")
	}
	p.ServiceAccount = KeyPair{Cert: sa.KeyPair.Cert, Key: sa.KeyPair.Key}
	if p.Admin, err = g.NewAdmin(p.CA, now); err != nil {
		return nil, err
	}
	if p.BootstrapToken, err = bootstraputil.GenerateBootstrapToken(); err != nil {
		return nil, errors.Wrap(err, "cannot create the bootstrap token")
	}
	return p, nil
}

// NewAdmin returns a client certificate for the cluster's administrators, signed by ca: the subject
// Cluster API's kubeconfig.New gives its admin client certificate.
func (RandomGenerator) NewAdmin(ca KeyPair, now time.Time) (KeyPair, error) {
	caCert, caKey, err := parseKeyPair(ca)
	if err != nil {
		return KeyPair{}, errors.Wrap(err, "cannot read the cluster CA")
	}
	tmpl, err := template(pkix.Name{CommonName: "kubernetes-admin", Organization: []string{adminGroup}}, now, adminValidity)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	kp, err := sign(tmpl, caCert, caKey)
	return kp, errors.Wrap(err, "cannot sign the admin certificate")
}

func newCA(cn string, now time.Time) (KeyPair, error) {
	tmpl, err := template(pkix.Name{CommonName: cn}, now, caValidity)
	if err != nil {
		return KeyPair{}, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	return sign(tmpl, nil, nil)
}

func template(subject pkix.Name, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, errors.Wrap(err, "cannot choose a serial number")
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-clockSkew).UTC(),
		NotAfter:     now.Add(validity).UTC(),
	}, nil
}

// sign makes a new key and a certificate of it from tmpl, signed by the parent or, when parent is nil, by
// itself.
func sign(tmpl, parent *x509.Certificate, parentKey crypto.Signer) (KeyPair, error) {
	key, err := certs.NewSigner(keyAlgorithm)
	if err != nil {
		return KeyPair{}, errors.Wrap(err, "cannot create a private key")
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return KeyPair{}, err
	}
	k, err := certs.EncodePrivateKeyPEMFromSigner(key)
	if err != nil {
		return KeyPair{}, errors.Wrap(err, "cannot encode a private key")
	}
	return KeyPair{Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Key: k}, nil
}

// parseKeyPair reads a PEM certificate and its PEM private key and checks that they belong together. The key
// may be in any form Cluster API writes (PKCS #1, PKCS #8 or SEC 1), so a CA taken over from a Cluster API
// Secret reads too.
func parseKeyPair(kp KeyPair) (*x509.Certificate, crypto.Signer, error) {
	cert, err := parseCert(kp.Cert)
	if err != nil {
		return nil, nil, err
	}
	key, err := certs.DecodePrivateKeyPEM(kp.Key)
	if err != nil {
		return nil, nil, errors.Wrap(err, "cannot parse private key")
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, errors.New("private key does not belong to the certificate")
	}
	return cert, key, nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("certificate is not PEM")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	return c, errors.Wrap(err, "cannot parse certificate")
}

// CACertHash is the pin kubeadm join checks the cluster CA against: sha256 of its SubjectPublicKeyInfo.
func (p *PKI) CACertHash() (string, error) {
	c, err := parseCert(p.CA.Cert)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// SecretData is the PKI as the data of the cluster certificates Secret.
func (p *PKI) SecretData() map[string][]byte {
	return map[string][]byte{
		keyCACert: p.CA.Cert, keyCAKey: p.CA.Key,
		keyFrontProxyCACert: p.FrontProxyCA.Cert, keyFrontProxyCAKey: p.FrontProxyCA.Key,
		keyEtcdCACert: p.EtcdCA.Cert, keyEtcdCAKey: p.EtcdCA.Key,
		keySAKey: p.ServiceAccount.Key, keySAPub: p.ServiceAccount.Cert,
		keyAdminCert: p.Admin.Cert, keyAdminKey: p.Admin.Key,
		keyBootstrapToken: []byte(p.BootstrapToken),
	}
}

// PKIFromSecretData reads the PKI back from the cluster certificates Secret and checks every part, so that
// a damaged Secret stops the function instead of reaching the nodes.
func PKIFromSecretData(d map[string][]byte) (*PKI, error) {
	p := &PKI{
		CA:             KeyPair{Cert: d[keyCACert], Key: d[keyCAKey]},
		FrontProxyCA:   KeyPair{Cert: d[keyFrontProxyCACert], Key: d[keyFrontProxyCAKey]},
		EtcdCA:         KeyPair{Cert: d[keyEtcdCACert], Key: d[keyEtcdCAKey]},
		ServiceAccount: KeyPair{Cert: d[keySAPub], Key: d[keySAKey]},
		Admin:          KeyPair{Cert: d[keyAdminCert], Key: d[keyAdminKey]},
		BootstrapToken: string(d[keyBootstrapToken]),
	}
	for _, kp := range []struct {
		name string
		kp   KeyPair
	}{{"ca", p.CA}, {"front-proxy-ca", p.FrontProxyCA}, {"etcd-ca", p.EtcdCA}, {"admin", p.Admin}} {
		if _, _, err := parseKeyPair(kp.kp); err != nil {
			return nil, errors.Wrapf(err, "%s", kp.name)
		}
	}
	admin, err := parseCert(p.Admin.Cert)
	if err != nil {
		return nil, err
	}
	ca, _ := parseCert(p.CA.Cert)
	if err := admin.CheckSignatureFrom(ca); err != nil {
		return nil, errors.Wrap(err, "admin certificate is not signed by the cluster CA")
	}
	if b, _ := pem.Decode(p.ServiceAccount.Key); b == nil {
		return nil, errors.Errorf("%s is not PEM", keySAKey)
	}
	if b, _ := pem.Decode(p.ServiceAccount.Cert); b == nil {
		return nil, errors.Errorf("%s is not PEM", keySAPub)
	}
	if !bootstraputil.IsValidBootstrapToken(p.BootstrapToken) {
		return nil, errors.Errorf("%s is not a kubeadm bootstrap token (<6 of [a-z0-9]>.<16 of [a-z0-9]>)", keyBootstrapToken)
	}
	return p, nil
}

// adminExpiresSoon reports whether the admin certificate should be reissued.
func (p *PKI) adminExpiresSoon(now time.Time) bool {
	c, err := parseCert(p.Admin.Cert)
	return err != nil || now.Add(adminRenewBefore).After(c.NotAfter)
}
