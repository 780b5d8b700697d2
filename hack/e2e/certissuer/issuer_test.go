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
	"context"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// TestIssuer runs the stand-in against a real API server with the CRDs it installs in the e2e run: what
// Cluster API's components and clusterctl's cert-manager probe create must come out as cert-manager's would.
func TestIssuer(t *testing.T) {
	env, err := testenv.Start("hack/e2e/certissuer/crds")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	issuer := &Issuer{Client: c, Now: func() time.Time { return now }}

	apply := func(docs string) {
		t.Helper()
		for _, doc := range strings.Split(docs, "\n---\n") {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
				t.Fatal(err)
			}
			if err := c.Create(ctx, u); err != nil {
				t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
			}
		}
	}
	// As in Cluster API's core/config: a selfSigned Issuer, the serving Certificate, a webhook configuration
	// and a CRD that ask for its CA; and one Certificate of an issuer the stand-in cannot sign with.
	apply(`apiVersion: v1
kind: Namespace
metadata:
  name: capi-system
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: capi-selfsigned-issuer, namespace: capi-system}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: vault, namespace: capi-system}
spec: {vault: {server: https://vault.example}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: capi-serving-cert, namespace: capi-system}
spec:
  dnsNames: [capi-webhook-service.capi-system.svc, capi-webhook-service.capi-system.svc.cluster.local]
  issuerRef: {kind: Issuer, name: capi-selfsigned-issuer}
  secretName: capi-webhook-service-cert
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: from-vault, namespace: capi-system}
spec:
  dnsNames: [example.com]
  issuerRef: {name: vault}
  secretName: from-vault-tls
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: capi-validating-webhook-configuration
  annotations: {cert-manager.io/inject-ca-from: capi-system/capi-serving-cert}
webhooks:
- name: validation.cluster.cluster.x-k8s.io
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig: {service: {name: capi-webhook-service, namespace: capi-system, path: /validate}}
  rules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [things]}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations: {cert-manager.io/inject-ca-from: capi-system/capi-serving-cert}
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {service: {name: capi-webhook-service, namespace: capi-system, path: /convert}}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v2, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}`)

	err = issuer.Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), `Issuer "vault" is not a selfSigned issuer`) {
		t.Errorf("Sync() error = %v, want the unsupported vault issuer reported", err)
	}

	secret := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "capi-system", Name: "capi-webhook-service-cert"}, secret); err != nil {
		t.Fatalf("the serving Certificate's Secret: %v", err)
	}
	ca := secret.Data["ca.crt"]
	leaf := parse(t, secret.Data[corev1.TLSCertKey])
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("ca.crt holds no certificate")
	}
	// What the API server does before it calls the webhook.
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "capi-webhook-service.capi-system.svc", Roots: roots, CurrentTime: now}); err != nil {
		t.Errorf("the issued certificate does not verify against its ca.crt for the Service name: %v", err)
	}
	if diff := cmp.Diff(corev1.SecretTypeTLS, secret.Type); diff != "" {
		t.Errorf("Secret type (-want +got):\n%s", diff)
	}

	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := c.Get(ctx, types.NamespacedName{Name: "capi-validating-webhook-configuration"}, vwc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(ca), string(vwc.Webhooks[0].ClientConfig.CABundle)); diff != "" {
		t.Errorf("webhook caBundle (-want +got):\n%s", diff)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := c.Get(ctx, types.NamespacedName{Name: "widgets.example.com"}, crd); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(ca), string(crd.Spec.Conversion.Webhook.ClientConfig.CABundle)); diff != "" {
		t.Errorf("CRD conversion caBundle (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(map[string]string{"capi-serving-cert": "True/Ready", "from-vault": "False/UnsupportedIssuer"}, readiness(t, c)); diff != "" {
		t.Errorf("Ready conditions (-want +got):\n%s", diff)
	}
	if err := c.Get(ctx, types.NamespacedName{Namespace: "capi-system", Name: "from-vault-tls"}, &corev1.Secret{}); err == nil {
		t.Error("a Secret was issued for a Certificate of an unsupported issuer")
	}

	// A second pass keeps what is current; a change of DNS names issues a new certificate.
	_ = issuer.Sync(ctx)
	again := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(secret), again); err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != secret.ResourceVersion {
		t.Error("a current certificate was issued again")
	}
	cert := &unstructured.Unstructured{}
	cert.SetGroupVersionKind(certificateGVK)
	if err := c.Get(ctx, types.NamespacedName{Namespace: "capi-system", Name: "capi-serving-cert"}, cert); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedStringSlice(cert.Object, []string{"other.capi-system.svc"}, "spec", "dnsNames"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, cert); err != nil {
		t.Fatal(err)
	}
	_ = issuer.Sync(ctx)
	if err := c.Get(ctx, client.ObjectKeyFromObject(secret), again); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"other.capi-system.svc"}, parse(t, again.Data[corev1.TLSCertKey]).DNSNames); diff != "" {
		t.Errorf("DNS names after the change (-want +got):\n%s", diff)
	}
	if err := c.Get(ctx, types.NamespacedName{Name: "capi-validating-webhook-configuration"}, vwc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(again.Data["ca.crt"]), string(vwc.Webhooks[0].ClientConfig.CABundle)); diff != "" {
		t.Errorf("webhook caBundle after re-issue (-want +got):\n%s", diff)
	}
}

func TestCurrent(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	certPEM, keyPEM, err := selfSignedCertificate("", []string{"b.svc", "a.svc"}, now)
	if err != nil {
		t.Fatal(err)
	}
	issued := &corev1.Secret{Data: map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM, "ca.crt": certPEM}}
	cases := map[string]struct {
		secret *corev1.Secret
		names  []string
		at     time.Time
		want   bool
	}{
		"SameNamesAnyOrder": {secret: issued, names: []string{"a.svc", "b.svc"}, at: now, want: true},
		"OtherNames":        {secret: issued, names: []string{"a.svc"}, at: now, want: false},
		"LastThirdOfLife":   {secret: issued, names: []string{"a.svc", "b.svc"}, at: now.Add(validity * 3 / 4), want: false},
		"Empty":             {secret: &corev1.Secret{}, names: []string{"a.svc"}, at: now, want: false},
		"NoCA": {
			secret: &corev1.Secret{Data: map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM}},
			names:  []string{"a.svc", "b.svc"}, at: now, want: false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, current(tc.secret, tc.names, tc.at)); diff != "" {
				t.Errorf("current() (-want +got):\n%s", diff)
			}
		})
	}
}

func parse(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readiness maps each Certificate to "status/reason" of its Ready condition.
func readiness(t *testing.T, c client.Client) map[string]string {
	t.Helper()
	certs := &unstructured.UnstructuredList{}
	certs.SetGroupVersionKind(certificateGVK.GroupVersion().WithKind("CertificateList"))
	if err := c.List(context.Background(), certs); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, cert := range certs.Items {
		conditions, _, _ := unstructured.NestedSlice(cert.Object, "status", "conditions")
		for _, cond := range conditions {
			m := cond.(map[string]any)
			if m["type"] == "Ready" {
				got[cert.GetName()] = m["status"].(string) + "/" + m["reason"].(string)
			}
		}
	}
	return got
}
