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

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

func TestInUseProviderConfigIsNotDeleted(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodePod(ns, "user")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the node Pod", func() error { _, err := getPod(ns, "user"); return err })

	pc := &apisv1alpha1.ProviderConfig{}
	key := types.NamespacedName{Namespace: ns, Name: "default"}
	waitFor(t, "the ProviderConfig to count its user", func() error {
		if err := kube.Get(ctx, key, pc); err != nil {
			return err
		}
		if pc.Status.Users != 1 {
			return fmt.Errorf("users: %d", pc.Status.Users)
		}
		return nil
	})
	if err := kube.Delete(ctx, pc); err != nil {
		t.Fatal(err)
	}
	// The controller says it saw the deletion and kept the config for its user; a controller that let it go
	// would remove its finalizer instead, and the config would be gone before it said anything.
	waitFor(t, "the ProviderConfig to say it is in use", func() error {
		if err := kube.Get(ctx, key, pc); err != nil {
			return fmt.Errorf("an in-use ProviderConfig went away: %w", err)
		}
		c := condition(pc.Status.Conditions, providerconfig.TypeTerminating)
		if c.Status != corev1.ConditionTrue || c.Reason != providerconfig.ReasonInUse {
			return fmt.Errorf("Terminating is %s/%s", c.Status, c.Reason)
		}
		return nil
	})
	if err := kube.Get(ctx, key, pc); err != nil {
		t.Fatalf("an in-use ProviderConfig went away: %v", err)
	}
	if pc.DeletionTimestamp == nil {
		t.Fatalf("the ProviderConfig was not marked for deletion")
	}

	np := getNodePod(t, ns, "user")
	if err := kube.Delete(ctx, np); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the NodePod to be gone", func() error {
		err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "user"}, &v1alpha1.NodePod{})
		if !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there: %v", err)
		}
		return nil
	})
	// The usage is owned by the NodePod and goes with it through the garbage collector, which is part of
	// kube-controller-manager and does not run next to the test API server: do its work here.
	usages := &apisv1alpha1.ProviderConfigUsageList{}
	if err := kube.List(ctx, usages, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range usages.Items {
		u := &usages.Items[i]
		if len(u.OwnerReferences) != 1 || u.OwnerReferences[0].UID != np.UID {
			t.Fatalf("usage %s is not owned by the NodePod: %+v", u.Name, u.OwnerReferences)
		}
		if err := kube.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the ProviderConfig to go once unused", func() error {
		if err := kube.Get(ctx, key, pc); !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there (users %d): %v", pc.Status.Users, err)
		}
		return nil
	})
}

// The API server refuses a ProviderConfig kind the provider does not know; the controller's own check (Synced
// False, "is not supported") is left for NodePods stored before the CRD had the rule.
func TestUnknownProviderConfigKind(t *testing.T) {
	ns := newNamespace(t)
	np := newNodePod(ns, "odd", func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "OuterCluster", Name: "x"}
	})
	err := kube.Create(context.Background(), np)
	if err == nil || !strings.Contains(err.Error(), "spec.providerConfigRef.kind: Invalid value") {
		t.Fatalf("want a refusal naming spec.providerConfigRef.kind, got %v", err)
	}
	observed(t, "refused: %s", firstLine(err.Error()))
}

func TestKubeconfigSecretProviderConfig(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	kc, err := env.Kubeconfig("outer-admin")
	if err != nil {
		t.Fatal(err)
	}
	// The Secret is in the test namespace while secretRef names another: a namespaced ProviderConfig may
	// only read its own namespace, so the provider must look in ns.
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kc}}); err != nil {
		t.Fatal(err)
	}
	pc := secretProviderConfig(ns, "outer", "outer", "kube-system")
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, "remote", func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "outer"}
	})); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod created through the kubeconfig", func() (err error) { pod, err = getPod(ns, "remote"); return err })
	markRunningReady(t, pod)
	waitFor(t, "Ready=True", func() error {
		if c := condition(getNodePod(t, ns, "remote").Status.Conditions, xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
		}
		return nil
	})
}

func TestMissingCredentialsSecretIsReported(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pc := secretProviderConfig(ns, "nosecret", "absent", ns)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, "nocreds", func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "nosecret"}
	})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Synced=False about the credentials", func() error {
		c := condition(getNodePod(t, ns, "nocreds").Status.Conditions, xpv2.TypeSynced)
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "kubeconfig") {
			return fmt.Errorf("Synced is %s: %q", c.Status, c.Message)
		}
		return nil
	})
}

// TestChangedCredentialsReconnect runs a second API server, outer cluster B, beside the test API server (A).
// A ProviderConfig's kubeconfig Secret moves from A to B: the NodePod connects anew, without a restart, and
// makes its node in B. The Secret deleted, the NodePod says which Secret it cannot read; restored, the
// NodePod is whole again.
func TestChangedCredentialsReconnect(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	b, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop() })
	kubeB, err := client.New(b.Config, client.Options{Scheme: b.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := kubeB.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	kcA, err := env.Kubeconfig("outer-a")
	if err != nil {
		t.Fatal(err)
	}
	kcB, err := b.Kubeconfig("outer-b")
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kcA}}
	if err := kube.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	pc := secretProviderConfig(ns, "outer", "outer", ns)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	const name = "moving"
	if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "outer"}
	})); err != nil {
		t.Fatal(err)
	}
	ready := func(what string) {
		t.Helper()
		waitFor(t, what, func() error {
			np := getNodePod(t, ns, name)
			if c := np.Status.GetCondition(xpv2.TypeSynced); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Synced is %s: %s", c.Status, c.Message)
			}
			if c := np.Status.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready is %s: %s", c.Status, c.Message)
			}
			return nil
		})
	}
	// The NodePod reconciles with the credentials as they are then. The provider polls each NodePod every
	// minute; the tests' provider polls hourly, so the test asks for the reconcile a poll would bring.
	reconcile := func() {
		t.Helper()
		poke(t, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	}
	var pod *corev1.Pod
	waitFor(t, "the node Pod in A", func() (err error) { pod, err = getPod(ns, name); return err })
	markRunningReady(t, pod)
	ready("Ready=True in A")

	secret.Data["kubeconfig"] = kcB
	if err := kube.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	reconcile()
	podB := &corev1.Pod{}
	waitFor(t, "the node Pod in B", func() error {
		return kubeB.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, podB)
	})
	markRunningReadyIn(t, kubeB, podB)
	ready("Ready=True in B")

	if err := kube.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	reconcile()
	waitFor(t, "Synced=False naming the Secret", func() error {
		c := getNodePod(t, ns, name).Status.GetCondition(xpv2.TypeSynced)
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "credentials") || !strings.Contains(c.Message, "not found") {
			return fmt.Errorf("Synced is %s: %s", c.Status, c.Message)
		}
		return nil
	})

	secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kcB}}
	if err := kube.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	reconcile()
	ready("Ready=True again with the Secret back")
}

// TestConfigSaysWhatIsWrongWithItsCredentials follows a ProviderConfig's Ready condition as its kubeconfig
// Secret is missing, broken and then right.
func TestConfigSaysWhatIsWrongWithItsCredentials(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	pc := secretProviderConfig(ns, "creds", "outer", ns)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	ready := func(what string, status corev1.ConditionStatus, message string) {
		t.Helper()
		waitFor(t, what, func() error {
			got := &apisv1alpha1.ProviderConfig{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "creds"}, got); err != nil {
				return err
			}
			if c := got.GetCondition(xpv2.TypeReady); c.Status != status || !strings.Contains(c.Message, message) {
				return fmt.Errorf("Ready is %s: %q", c.Status, c.Message)
			}
			return nil
		})
	}
	// The config checks its Secret again every minute; the test asks for the check a Secret change would
	// otherwise wait for.
	recheck := func() {
		t.Helper()
		poke(t, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"}})
	}
	ready("Ready=False: no Secret", corev1.ConditionFalse, "cannot read the kubeconfig Secret "+ns+"/outer")

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": []byte("not: a: kubeconfig")}}
	if err := kube.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	recheck()
	ready("Ready=False: a broken kubeconfig", corev1.ConditionFalse, `key "kubeconfig" of Secret `+ns+"/outer is not a usable kubeconfig")

	kc, err := env.Kubeconfig("outer-admin")
	if err != nil {
		t.Fatal(err)
	}
	secret.Data["kubeconfig"] = kc
	if err := kube.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	recheck()
	ready("Ready=True", corev1.ConditionTrue, "")
}

// secretProviderConfig is a ProviderConfig in ns whose kubeconfig is key "kubeconfig" of Secret
// secretNamespace/secret.
func secretProviderConfig(ns, name, secret, secretNamespace string) *apisv1alpha1.ProviderConfig {
	return &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: apisv1alpha1.ProviderConfigSpec{Credentials: apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Name: secret, Namespace: secretNamespace}, Key: "kubeconfig",
			}},
		}},
	}
}

// poke changes an annotation of obj (its namespace and name are enough), so that its controller reconciles
// it as a poll would.
func poke(t *testing.T, obj client.Object) {
	t.Helper()
	waitFor(t, "an update of "+obj.GetName(), func() error {
		if err := kube.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		meta.AddAnnotations(obj, map[string]string{"test.kindnode.dev/poke": time.Now().Format(time.RFC3339Nano)})
		return kube.Update(context.Background(), obj)
	})
}
