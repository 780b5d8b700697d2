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

package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// injectAnnotation names the Certificate (namespace/name) whose CA goes into an object's caBundle fields.
	injectAnnotation = "cert-manager.io/inject-ca-from"
	// certificateAnnotation marks a Secret issued for a Certificate, as cert-manager does.
	certificateAnnotation = "cert-manager.io/certificate-name"

	validity = 365 * 24 * time.Hour
)

var (
	certificateGVK = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}
	issuerGVK      = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Issuer"}
	clusterIssuer  = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "ClusterIssuer"}
)

// Issuer issues the Certificates of self-signed Issuers and injects their CAs where asked to.
type Issuer struct {
	Client client.Client
	// Now is the clock certificates start from.
	Now func() time.Time
}

// Sync issues every Certificate that needs it, then injects CA bundles. It returns the first error but
// carries on with the other objects, so that one bad Certificate does not hold back the rest.
func (i *Issuer) Sync(ctx context.Context) error {
	return errors.Join(i.issueAll(ctx), i.injectAll(ctx))
}

func (i *Issuer) issueAll(ctx context.Context) error {
	certs := &unstructured.UnstructuredList{}
	certs.SetGroupVersionKind(certificateGVK.GroupVersion().WithKind("CertificateList"))
	if err := i.Client.List(ctx, certs); err != nil {
		return fmt.Errorf("cannot list Certificates: %w", err)
	}
	var errs []error
	for idx := range certs.Items {
		if err := i.issue(ctx, &certs.Items[idx]); err != nil {
			errs = append(errs, fmt.Errorf("certificate %s/%s: %w", certs.Items[idx].GetNamespace(), certs.Items[idx].GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// issue makes sure the Certificate's Secret holds a self-signed certificate for its DNS names, and says so in
// the Certificate's Ready condition.
func (i *Issuer) issue(ctx context.Context, cert *unstructured.Unstructured) error {
	secretName, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	commonName, _, _ := unstructured.NestedString(cert.Object, "spec", "commonName")
	if secretName == "" {
		return i.setReady(ctx, cert, metav1.ConditionFalse, "InvalidSpec", "spec.secretName is required")
	}
	if err := i.selfSigned(ctx, cert); err != nil {
		return errors.Join(err, i.setReady(ctx, cert, metav1.ConditionFalse, "UnsupportedIssuer", err.Error()))
	}

	secret := &corev1.Secret{}
	err := i.Client.Get(ctx, types.NamespacedName{Namespace: cert.GetNamespace(), Name: secretName}, secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cert.GetNamespace(), Name: secretName}}
	case err != nil:
		return fmt.Errorf("cannot get Secret %s: %w", secretName, err)
	}
	if current(secret, dnsNames, i.Now()) {
		return i.setReady(ctx, cert, metav1.ConditionTrue, "Ready", "Certificate is up to date and has not expired")
	}

	certPEM, keyPEM, err := selfSignedCertificate(commonName, dnsNames, i.Now())
	if err != nil {
		return err
	}
	secret.Type = corev1.SecretTypeTLS
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	secret.Annotations[certificateAnnotation] = cert.GetName()
	// A self-signed certificate is its own CA, as with cert-manager's selfSigned issuer.
	secret.Data = map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM, "ca.crt": certPEM}
	if secret.ResourceVersion == "" {
		err = i.Client.Create(ctx, secret)
	} else {
		err = i.Client.Update(ctx, secret)
	}
	if err != nil {
		return fmt.Errorf("cannot write Secret %s: %w", secretName, err)
	}
	return i.setReady(ctx, cert, metav1.ConditionTrue, "Ready", "Certificate is up to date and has not expired")
}

// selfSigned returns an error unless the Certificate's issuer exists and is a selfSigned one: this stand-in
// signs nothing else.
func (i *Issuer) selfSigned(ctx context.Context, cert *unstructured.Unstructured) error {
	name, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name")
	kind, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "kind")
	issuer := &unstructured.Unstructured{}
	key := types.NamespacedName{Namespace: cert.GetNamespace(), Name: name}
	switch kind {
	case "", issuerGVK.Kind:
		issuer.SetGroupVersionKind(issuerGVK)
	case clusterIssuer.Kind:
		issuer.SetGroupVersionKind(clusterIssuer)
		key.Namespace = ""
	default:
		return fmt.Errorf("issuer kind %q is not supported: only Issuer and ClusterIssuer", kind)
	}
	if err := i.Client.Get(ctx, key, issuer); err != nil {
		return fmt.Errorf("cannot get %s %q: %w", issuer.GetKind(), name, err)
	}
	if _, ok, _ := unstructured.NestedMap(issuer.Object, "spec", "selfSigned"); !ok {
		return fmt.Errorf("%s %q is not a selfSigned issuer, the only kind this stand-in for cert-manager signs with", issuer.GetKind(), name)
	}
	return nil
}

func (i *Issuer) setReady(ctx context.Context, cert *unstructured.Unstructured, status metav1.ConditionStatus, reason, message string) error {
	conditions, _, _ := unstructured.NestedSlice(cert.Object, "status", "conditions")
	for _, c := range conditions {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Ready" && m["status"] == string(status) && m["reason"] == reason && m["message"] == message {
			return nil
		}
	}
	ready := map[string]any{
		"type": "Ready", "status": string(status), "reason": reason, "message": message,
		"lastTransitionTime": i.Now().UTC().Format(time.RFC3339), "observedGeneration": cert.GetGeneration(),
	}
	if err := unstructured.SetNestedSlice(cert.Object, []any{ready}, "status", "conditions"); err != nil {
		return err
	}
	if err := i.Client.Status().Update(ctx, cert); err != nil {
		return fmt.Errorf("cannot update status: %w", err)
	}
	return nil
}

// current reports whether the Secret holds a certificate for exactly these DNS names that is valid for at
// least another third of its life.
func current(secret *corev1.Secret, dnsNames []string, now time.Time) bool {
	block, _ := pem.Decode(secret.Data[corev1.TLSCertKey])
	if block == nil || len(secret.Data[corev1.TLSPrivateKeyKey]) == 0 || len(secret.Data["ca.crt"]) == 0 {
		return false
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return false
	}
	want, got := slices.Clone(dnsNames), slices.Clone(c.DNSNames)
	slices.Sort(want)
	slices.Sort(got)
	return slices.Equal(want, got) && now.Add(c.NotAfter.Sub(c.NotBefore)/3).Before(c.NotAfter)
}

// selfSignedCertificate returns a PEM certificate and PKCS#8 key for the names, signed by its own key and
// usable as the CA that trusts it.
func selfSignedCertificate(commonName string, dnsNames []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	if commonName == "" && len(dnsNames) > 0 {
		commonName = dnsNames[0]
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		DNSNames:              dnsNames,
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot sign certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

func (i *Issuer) injectAll(ctx context.Context) error {
	var errs []error
	// CRDs are large (a cluster with Cluster API and Crossplane holds megabytes of them) and few ask for a
	// CA: list their metadata only, read those that do.
	crds := &metav1.PartialObjectMetadataList{}
	crds.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinitionList"))
	if err := i.Client.List(ctx, crds); err != nil {
		errs = append(errs, fmt.Errorf("cannot list CRDs: %w", err))
	}
	for idx := range crds.Items {
		if crds.Items[idx].GetAnnotations()[injectAnnotation] == "" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := i.Client.Get(ctx, types.NamespacedName{Name: crds.Items[idx].GetName()}, crd); err != nil {
			errs = append(errs, client.IgnoreNotFound(err))
			continue
		}
		c := crd.Spec.Conversion
		if c == nil || c.Strategy != apiextensionsv1.WebhookConverter || c.Webhook == nil || c.Webhook.ClientConfig == nil {
			continue
		}
		errs = append(errs, i.inject(ctx, crd, func(ca []byte) bool { return setBundle(&c.Webhook.ClientConfig.CABundle, ca) }))
	}

	validating := &admissionregistrationv1.ValidatingWebhookConfigurationList{}
	if err := i.Client.List(ctx, validating); err != nil {
		errs = append(errs, fmt.Errorf("cannot list ValidatingWebhookConfigurations: %w", err))
	}
	for idx := range validating.Items {
		w := &validating.Items[idx]
		errs = append(errs, i.inject(ctx, w, func(ca []byte) bool {
			changed := false
			for j := range w.Webhooks {
				changed = setBundle(&w.Webhooks[j].ClientConfig.CABundle, ca) || changed
			}
			return changed
		}))
	}

	mutating := &admissionregistrationv1.MutatingWebhookConfigurationList{}
	if err := i.Client.List(ctx, mutating); err != nil {
		errs = append(errs, fmt.Errorf("cannot list MutatingWebhookConfigurations: %w", err))
	}
	for idx := range mutating.Items {
		w := &mutating.Items[idx]
		errs = append(errs, i.inject(ctx, w, func(ca []byte) bool {
			changed := false
			for j := range w.Webhooks {
				changed = setBundle(&w.Webhooks[j].ClientConfig.CABundle, ca) || changed
			}
			return changed
		}))
	}
	return errors.Join(errs...)
}

// inject sets the CA of the Certificate named by obj's annotation through set, and updates obj when set
// changed it. Objects without the annotation, or whose Certificate has not been issued yet, are left alone.
func (i *Issuer) inject(ctx context.Context, obj client.Object, set func(ca []byte) bool) error {
	from := obj.GetAnnotations()[injectAnnotation]
	if from == "" {
		return nil
	}
	ns, name, ok := strings.Cut(from, "/")
	if !ok {
		return fmt.Errorf("%s: annotation %s=%q is not namespace/name", obj.GetName(), injectAnnotation, from)
	}
	cert := &unstructured.Unstructured{}
	cert.SetGroupVersionKind(certificateGVK)
	if err := i.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, cert); err != nil {
		return client.IgnoreNotFound(err)
	}
	secretName, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	secret := &corev1.Secret{}
	if err := i.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: secretName}, secret); err != nil {
		return client.IgnoreNotFound(err)
	}
	ca := secret.Data["ca.crt"]
	if len(ca) == 0 || !set(ca) {
		return nil
	}
	if err := i.Client.Update(ctx, obj); err != nil {
		return fmt.Errorf("cannot inject the CA of %s into %s: %w", from, obj.GetName(), err)
	}
	return nil
}

func setBundle(bundle *[]byte, ca []byte) bool {
	if bytes.Equal(*bundle, ca) {
		return false
	}
	*bundle = bytes.Clone(ca)
	return true
}
