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
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprocess"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

// timeout bounds each wait; the tests check behaviour, not latency.
const timeout = 90 * time.Second

// functionName is the name the Compositions call the function by: the name Crossplane gives the Function
// it installs for the Configuration's dependency ghcr.io/kindnode/function-kindcluster.
const functionName = "kindnode-function-kindcluster"

var (
	env   *testenv.Env
	kube  client.Client
	execs = testprovider.NewExecRecorder()

	// fnEndpoint is where the function process serves, as the FunctionRevision's status.endpoint says.
	fnEndpoint string

	core, fn, kcm *process
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kindnode-crossplane-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer func() {
		// Crossplane first: it would otherwise log the function's disappearance.
		core.Stop()
		fn.Stop()
		kcm.Stop()
		if env != nil {
			_ = env.Stop()
		}
	}()
	if err := setup(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		dumpLogs()
		return 1
	}
	code := m.Run()
	if code != 0 {
		dumpLogs()
	}
	return code
}

func dumpLogs() {
	for _, p := range []*process{core, fn, kcm} {
		if p != nil {
			fmt.Fprintf(os.Stderr, "--- last lines of %s's log:\n%s\n", p.Name, p.Tail(60))
		}
	}
}

// setup starts the API server with the garbage collector, the function, Crossplane and the provider's
// controllers, and installs the function and configuration packages.
func setup(ctx context.Context, dir string) error {
	ctrl.SetLogger(zap.New(zap.UseDevMode(os.Getenv("TEST_DEBUG") != ""), zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	// The programs first: without them nothing else is worth starting.
	coreBin, err := crossplaneCore()
	if err != nil {
		return err
	}
	kcmBin, err := controllerManager()
	if err != nil {
		return err
	}
	cli, err := crossplaneCLI()
	if err != nil {
		return err
	}
	fnBin, err := functionBinary()
	if err != nil {
		return err
	}
	xpCRDs, err := crossplaneCRDs()
	if err != nil {
		return err
	}
	capiCRDs, err := testenv.ClusterAPICRDs()
	if err != nil {
		return err
	}
	if env, err = testenv.Start(append(capiCRDs, xpCRDs)...); err != nil {
		return err
	}
	// The tests read XRDs through the deprecated apiextensions.crossplane.io/v1, on purpose (the legacy XRD
	// has no other version): no warnings.
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = rest.NoWarnings{}
	if kube, err = client.New(cfg, client.Options{Scheme: env.Scheme}); err != nil {
		return err
	}

	cacheDir := filepath.Join(dir, "xpkg")

	serverCerts, clientCerts := filepath.Join(dir, "tls-server"), filepath.Join(dir, "tls-client")
	if err := writeMTLS(serverCerts, clientCerts); err != nil {
		return fmt.Errorf("cannot generate the mTLS certificates: %w", err)
	}
	addr, err := testprocess.FreeAddress()
	if err != nil {
		return err
	}
	if fn, err = start(dir, "function-kindcluster", fnBin, nil, "--debug", "--address="+addr, "--tls-certs-dir="+serverCerts); err != nil {
		return err
	}
	if err := waitListening(fn, addr, 30*time.Second); err != nil {
		return err
	}
	fnEndpoint = "dns:///" + addr

	kubeconfigPath := filepath.Join(dir, "admin.kubeconfig")
	kubeconfig, err := env.Kubeconfig("admin")
	if err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	// Only the garbage collector, which completes foreground deletions; no other controller of a cluster
	// runs next to the test API server (no scheduler, no kubelet).
	if kcm, err = start(dir, "kube-controller-manager", kcmBin, nil,
		"--kubeconfig="+kubeconfigPath, "--controllers=garbagecollector", "--leader-elect=false", "--secure-port=0"); err != nil {
		return err
	}
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crossplane-system"}}); err != nil {
		return err
	}
	if core, err = start(dir, "crossplane", coreBin, []string{"KUBECONFIG=" + kubeconfigPath},
		"core", "start", "--debug",
		"--package-runtime=External",
		"--enable-webhooks=false",
		"--tls-client-certs-dir="+clientCerts,
		"--xpkg-cache-dir="+cacheDir,
		"--metrics-port=0", "--health-probe-port=0",
	); err != nil {
		return err
	}

	if err := installFunction(ctx, cli, dir, cacheDir, serverCerts); err != nil {
		return err
	}
	if err := installConfiguration(ctx, cli, dir, cacheDir); err != nil {
		return err
	}
	if err := startProvider(ctx); err != nil {
		return err
	}
	return kube.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec:       apisv1alpha1.ProviderConfigSpec{Credentials: apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}},
	})
}

// installFunction installs package/function as a Crossplane Function package: built with `crossplane xpkg
// build`, served to the package manager from its cache, its FunctionRevision parsed and made active by
// Crossplane. Crossplane runs with --package-runtime=External: running the function is someone else's job,
// here the test's. Like Crossplane's own Deployment runtime, the test hands the revision the function's
// server certificate Secret (status.tlsServerSecretName) and says where the function serves
// (status.endpoint).
func installFunction(ctx context.Context, cli, dir, cacheDir, serverCerts string) error {
	ref, err := cachePackage(cli, dir, cacheDir, "function", "ghcr.io/kindnode/function-kindcluster")
	if err != nil {
		return err
	}
	fnPkg := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "Function",
		"metadata":   map[string]any{"name": functionName},
		"spec":       map[string]any{"package": ref},
	}}
	if err := kube.Create(ctx, fnPkg); err != nil {
		return fmt.Errorf("cannot create the Function: %w", err)
	}
	rev := &unstructured.Unstructured{}
	revision := func() error {
		l := &unstructured.UnstructuredList{}
		l.SetAPIVersion("pkg.crossplane.io/v1")
		l.SetKind("FunctionRevisionList")
		if err := kube.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": functionName}); err != nil {
			return err
		}
		if len(l.Items) != 1 {
			_ = kube.Get(ctx, client.ObjectKeyFromObject(fnPkg), fnPkg)
			return fmt.Errorf("%d FunctionRevisions of Function %s (Function Healthy: %+v)", len(l.Items), functionName, conditionOf(fnPkg, "Healthy"))
		}
		rev = &l.Items[0]
		return nil
	}
	if err := poll(timeout, revision); err != nil {
		return err
	}

	// The function's server certificate, in the Secret the revision names.
	secretName, _, _ := unstructured.NestedString(rev.Object, "spec", "tlsServerSecretName")
	if secretName == "" {
		secretName = functionName + "-tls-server"
	}
	tlsSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: secretName}, Data: map[string][]byte{}}
	for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
		if tlsSecret.Data[k], err = os.ReadFile(filepath.Join(serverCerts, k)); err != nil {
			return err
		}
	}
	if err := kube.Create(ctx, tlsSecret); err != nil {
		return err
	}
	// Crossplane's revision controller writes the revision's status too; retry on conflicts.
	if err := poll(30*time.Second, func() error {
		if err := kube.Get(ctx, client.ObjectKeyFromObject(rev), rev); err != nil {
			return err
		}
		ep, _, _ := unstructured.NestedString(rev.Object, "status", "endpoint")
		sn, _, _ := unstructured.NestedString(rev.Object, "status", "tlsServerSecretName")
		if ep == fnEndpoint && sn == secretName {
			return nil
		}
		_ = unstructured.SetNestedField(rev.Object, fnEndpoint, "status", "endpoint")
		_ = unstructured.SetNestedField(rev.Object, secretName, "status", "tlsServerSecretName")
		if err := kube.Status().Update(ctx, rev); err != nil {
			return err
		}
		return errors.New("status written; checking it stays")
	}); err != nil {
		return err
	}
	return poll(timeout, func() error {
		if err := revision(); err != nil {
			return err
		}
		caps, _, _ := unstructured.NestedStringSlice(rev.Object, "status", "capabilities")
		state, _, _ := unstructured.NestedString(rev.Object, "spec", "desiredState")
		if c := conditionOf(rev, "RevisionHealthy"); c.Status != "True" || state != "Active" || !slices.Contains(caps, "composition") {
			return fmt.Errorf("FunctionRevision %s: desiredState %s, capabilities %v, RevisionHealthy %s %s: %s", rev.GetName(), state, caps, c.Status, c.Reason, c.Message)
		}
		return nil
	})
}

// installConfiguration installs package/configuration as a Crossplane Configuration package, and waits for
// Crossplane to offer the composite kinds of its XRDs. Its dependencies are installed already and cannot be
// resolved offline (no registry lists their versions): the Function above, the provider's CRDs and
// controllers of this test.
func installConfiguration(ctx context.Context, cli, dir, cacheDir string) error {
	ref, err := cachePackage(cli, dir, cacheDir, "configuration", "ghcr.io/kindnode/configuration-kindcluster")
	if err != nil {
		return err
	}
	cfg := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "Configuration",
		"metadata":   map[string]any{"name": "kindnode-configuration-kindcluster"},
		"spec":       map[string]any{"package": ref, "skipDependencyResolution": true},
	}}
	if err := kube.Create(ctx, cfg); err != nil {
		return fmt.Errorf("cannot create the Configuration: %w", err)
	}
	for _, name := range []string{"kindclusters.platform.kindnode.dev", "xkindclusters.platform.kindnode.dev"} {
		x := &unstructured.Unstructured{}
		x.SetAPIVersion("apiextensions.crossplane.io/v1")
		x.SetKind("CompositeResourceDefinition")
		x.SetName(name)
		if err := poll(timeout, func() error {
			if err := kube.Get(ctx, client.ObjectKeyFromObject(x), x); err != nil {
				_ = kube.Get(ctx, client.ObjectKeyFromObject(cfg), cfg)
				return fmt.Errorf("%w (Configuration Installed: %+v, Healthy: %+v)", err, conditionOf(cfg, "Installed"), conditionOf(cfg, "Healthy"))
			}
			for _, ct := range []string{"Established", "Offered"} {
				if _, ok, _ := unstructured.NestedMap(x.Object, "spec", "claimNames"); !ok && ct == "Offered" {
					continue
				}
				if s := conditionOf(x, ct); s.Status != "True" {
					return fmt.Errorf("XRD %s is not %s: %s %s", x.GetName(), ct, s.Reason, s.Message)
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// startProvider runs the provider's controllers in process against the API server, set up as cmd/provider
// sets them up, with bootstrap commands going to execs.
func startProvider(ctx context.Context) error {
	_, err := testprovider.Start(ctx, env, ctrl.Log, execs.Node)
	return err
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_DEBUG") != "" {
		return -1
	}
	return 2
}

// readObject reads a one-document YAML file as an object.
func readObject(path string) (*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(b, &u.Object); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

type condition struct{ Status, Reason, Message string }

// conditionOf returns the status.conditions entry of type ct of u.
func conditionOf(u *unstructured.Unstructured, ct string) condition {
	cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["type"] == ct {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return condition{s, r, msg}
		}
	}
	return condition{Status: "Unknown"}
}

// poll calls fn until it returns nil or d passes, and returns fn's last error then.
func poll(d time.Duration, fn func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFor polls fn until it returns nil, failing the test with fn's last error after the timeout.
func waitFor(t testing.TB, what string, fn func() error) {
	t.Helper()
	if err := poll(timeout, fn); err != nil {
		t.Fatalf("timed out waiting for %s: %v", what, err)
	}
}

// get reads an object of the given kind.
func get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	return u, err
}

// gone returns nil once the object does not exist.
func gone(ctx context.Context, obj client.Object) error {
	err := kube.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	if kerrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%s/%s still exists (deletion timestamp %v, finalizers %v)", obj.GetNamespace(), obj.GetName(), obj.GetDeletionTimestamp(), obj.GetFinalizers())
}
