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
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
)

// canaries are secret values of the kinds bootstrap data and credentials hold, each unique to a test run so
// that finding one anywhere can only mean it leaked from where the test put it.
type canaries struct {
	// token is a kubeadm bootstrap token, on a runcmd line and in a failed step's output.
	token string
	// certificateKey is kubeadm's --certificate-key, on a runcmd line.
	certificateKey string
	// privateKey is the body of a PEM private key, in a written file and in a failed step's output.
	privateKey string
	// fileSecret is a password in a written file.
	fileSecret string
	// kubeconfigToken is the bearer token of a ProviderConfig's kubeconfig.
	kubeconfigToken string
}

func newCanaries() canaries {
	lower := func(n int) string { return strings.ToLower(rand.String(n)) }
	return canaries{
		token:           lower(6) + "." + lower(16),
		certificateKey:  "c4" + lower(62),
		privateKey:      "CANARYKEY" + rand.String(40),
		fileSecret:      "CANARYPASSWORD" + rand.String(20),
		kubeconfigToken: "CANARYTOKEN" + rand.String(30),
	}
}

func (c canaries) all() map[string]string {
	return map[string]string{
		"bootstrap token": c.token, "certificate key": c.certificateKey, "private key": c.privateKey,
		"password in a file": c.fileSecret, "kubeconfig token": c.kubeconfigToken,
	}
}

// bootstrapData is cloud-config that carries the canaries as Cluster API's kubeadm bootstrap data carries its
// secrets: a private key and a password in written files, a token and a certificate key on the command line.
func (c canaries) bootstrapData() string {
	return fmt.Sprintf(`#cloud-config
write_files:
- path: /etc/kubernetes/pki/ca.key
  permissions: '0600'
  content: |
    -----BEGIN RSA PRIVATE KEY-----
    %s
    -----END RSA PRIVATE KEY-----
- path: /etc/registry-password
  content: %s
runcmd:
- 'kubeadm join 10.0.0.1:6443 --token %s --certificate-key %s --control-plane'
`, c.privateKey, c.fileSecret, c.token, c.certificateKey)
}

// failure is what the failing join prints: the token, and a key it dumps.
func (c canaries) failure() string {
	return fmt.Sprintf("[discovery] the token %s was rejected\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n", c.token, c.privateKey)
}

// TestSecretsStaySecret runs bootstrap data, through a NodePod and through a KubernetesMachine, and
// credentials, working and broken, with canary secret values, and makes bootstrap fail with output that
// repeats them, as kubeadm's can. The canaries must reach the node (over stdin and in its staged run) and
// nowhere else: not in any object of the namespace but a Secret (Pods with their spec, env, args and
// annotations, Services, events, the conditions of every NodePod, KubernetesMachine, Machine and
// ProviderConfig), and not in any line the provider or Cluster API's reconcilers logged, at any level.
func TestSecretsStaySecret(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	c := newCanaries()
	stop := logs.capture()
	log := ""
	defer func() {
		if log == "" {
			stop()
		}
	}()

	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boot"}, Data: map[string][]byte{"value": []byte(c.bootstrapData())}}); err != nil {
		t.Fatal(err)
	}
	join := func(cmd bootstrap.Command) bool { return strings.Contains(strings.Join(cmd.Argv, " "), "kubeadm join") }

	// A NodePod, whose bootstrap fails and is not retried, so the failure stays in its conditions.
	np := fakeExecPrefix + "canary"
	execs.Fail(ns, np, join, c.failure())
	if err := kube.Create(ctx, newNodePod(ns, np, func(np *v1alpha1.NodePod) {
		np.Spec.ForProvider.Role = v1alpha1.NodeRoleControlPlane
		np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: "boot"}
		np.Spec.ForProvider.BootstrapFailurePolicy = v1alpha1.BootstrapFailurePolicyFail
	})); err != nil {
		t.Fatal(err)
	}

	// A Machine of Cluster API whose bootstrap data is the same Secret, failing the same way: its failure
	// travels to the KubernetesMachine's and the Machine's conditions.
	newCAPICluster(t, ns, "canary")
	m := fakeExecPrefix + "canary-cp"
	execs.Fail(ns, m, join, c.failure())
	km := newDataMachine(t, ns, "canary", m, "boot")

	// Credentials: a kubeconfig whose server cannot be reached, and one that cannot be read; a NodePod uses each.
	broken := map[string]string{
		"unreachable": fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: %s}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n", c.kubeconfigToken),
		"unreadable":  fmt.Sprintf("apiVersion: v1\nkind: Config\nusers: {token: %s}\ncurrent-context: [%s\n", c.kubeconfigToken, c.kubeconfigToken),
	}
	for name, kubeconfig := range broken {
		if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"kubeconfig": []byte(kubeconfig)}}); err != nil {
			t.Fatal(err)
		}
		if err := kube.Create(ctx, secretProviderConfig(ns, name, name, ns)); err != nil {
			t.Fatal(err)
		}
		if err := kube.Create(ctx, newNodePod(ns, "through-"+name, func(np *v1alpha1.NodePod) {
			np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: name}
		})); err != nil {
			t.Fatal(err)
		}
	}

	for _, name := range []string{np, m} {
		waitForRunningPod(t, ns, name)
	}

	// That the canaries went where they had to shows the test looked where they could have leaked.
	waitFor(t, "the NodePod's bootstrap to fail", func() error {
		cond := getNodePod(t, ns, np).Status.GetCondition(v1alpha1.TypeBootstrapped)
		if cond.Reason != v1alpha1.ReasonBootstrapFailed || !strings.Contains(cond.Message, "kubeadm join") {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	if msg := getNodePod(t, ns, np).Status.GetCondition(v1alpha1.TypeBootstrapped).Message; !strings.Contains(msg, "the token "+bootstrap.Redacted+" was rejected") {
		t.Errorf("the failed step's output is not in the condition, redacted: %s", msg)
	}
	waitFor(t, "the KubernetesMachine to report the failed bootstrap", func() error {
		got := &infrav1.KubernetesMachine{}
		if err := kube.Get(ctx, client.ObjectKeyFromObject(km), got); err != nil {
			return err
		}
		for _, cond := range got.GetConditions() {
			if strings.Contains(cond.Message, "kubeadm join") {
				return nil
			}
		}
		return fmt.Errorf("no condition of the KubernetesMachine names the failed step: %+v", conditions.Get(got, clusterv1.ReadyCondition))
	})
	for name := range broken {
		waitFor(t, "NodePod through-"+name+" not Synced, and ProviderConfig unreadable Ready=False", func() error {
			pc := &apisv1alpha1.ProviderConfig{}
			if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, pc); err != nil {
				return err
			}
			// A ProviderConfig's Ready says whether its kubeconfig can be used, not whether its server answers.
			if cond := pc.GetCondition(xpv2.TypeReady); name == "unreadable" && cond.Status != corev1.ConditionFalse {
				return fmt.Errorf("ProviderConfig Ready is %s: %s", cond.Status, cond.Message)
			}
			if cond := getNodePod(t, ns, "through-"+name).Status.GetCondition(xpv2.TypeSynced); cond.Status != corev1.ConditionFalse {
				return fmt.Errorf("NodePod Synced is %s: %s", cond.Status, cond.Message)
			}
			return nil
		})
	}
	for _, name := range []string{np, m} {
		var staged strings.Builder
		for _, cmd := range execs.Commands(ns, name) {
			staged.WriteString(strings.Join(cmd.Argv, " ") + "\n" + cmd.Stdin + "\n")
		}
		for what, v := range c.all() {
			if what != "kubeconfig token" && !strings.Contains(staged.String(), v) {
				t.Errorf("the %s never reached node %s, so the test cannot tell whether it leaked", what, name)
			}
		}
	}
	log = stop()
	if !strings.Contains(log, np) {
		t.Fatalf("the captured log does not mention NodePod %s: nothing was captured", np)
	}

	found := map[string]string{}
	search := func(where, text string) {
		for what, v := range c.all() {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if strings.Contains(text, form) {
					found[what+" in "+where] = excerpt(text, form)
				}
			}
		}
	}
	search("the log", log)
	n := 0
	for _, o := range namespaceObjects(ctx, t, ns) {
		if o.GetKind() == "Secret" {
			continue
		}
		n++
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		search(o.GetKind()+" "+o.GetName(), string(b))
	}
	t.Logf("searched %d objects of namespace %s and %d bytes of log for %d canaries", n, ns, len(log), len(c.all()))
	for where, around := range found {
		t.Errorf("%s: ...%s...", where, around)
	}
}

// namespaceObjects lists every object in ns of every kind the API server serves that can be listed: what
// the provider writes and what it may write by mistake.
func namespaceObjects(ctx context.Context, t *testing.T, ns string) []unstructured.Unstructured {
	t.Helper()
	objects, err := namespaceObjectsIn(ctx, env.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

// namespaceObjectsIn is namespaceObjects for the API server cfg reaches.
func namespaceObjectsIn(ctx context.Context, cfg *rest.Config, ns string) ([]unstructured.Unstructured, error) {
	// Listing every kind lists deprecated ones too (v1 Endpoints), of which the API server warns each time.
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandlerWithContext = rest.NoWarnings{}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	var out []unstructured.Unstructured
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue
			}
			ul, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("cannot list %s: %w", r.Name, err)
			}
			out = append(out, ul.Items...)
		}
	}
	return out, nil
}

// excerpt is text around the first match of v, to show where a canary was found.
func excerpt(text, v string) string {
	i := strings.Index(text, v)
	from, to := max(0, i-80), min(len(text), i+len(v)+20)
	return text[from:to]
}
