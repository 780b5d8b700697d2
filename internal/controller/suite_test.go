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
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	uzap "go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprovider"
)

// timeout is generous on purpose: these tests check behaviour; latency is measured by the benchmarks.
const timeout = 60 * time.Second

var (
	env  *testenv.Env
	kube client.Client
	// execs answers the bootstrap of fakeExecPrefix Pods.
	execs = testprovider.NewExecRecorderFor(func(pod string) bool { return strings.HasPrefix(pod, fakeExecPrefix) })
	// provider is the provider the tests run.
	provider runningProvider
	// requests are the API requests the provider sent.
	requests = &testprovider.Requests{}
	// sent counts what reached each node Pod through execs, its look for the bootstrap sentinel included.
	sent = &execCounter{n: map[string]int{}}
)

// An execCounter counts the requests every node Pod was sent. Unlike execs, it also counts the bootstrap's
// look for its sentinel and its reads of the node's run, with which every bootstrap starts, even one that then
// finds nothing to do.
type execCounter struct {
	mu sync.Mutex
	n  map[string]int
}

// wrap returns next, counting.
func (c *execCounter) wrap(next func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner) func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner {
	return func(cfg *rest.Config, namespace, pod, container string) bootstrap.Runner {
		return countingNode{next: next(cfg, namespace, pod, container), count: func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.n[namespace+"/"+pod]++
		}}
	}
}

// to returns how many requests the Pod was sent.
func (c *execCounter) to(namespace, pod string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[namespace+"/"+pod]
}

type countingNode struct {
	next  bootstrap.Runner
	count func()
}

func (n countingNode) Done(ctx context.Context) (bool, error) {
	n.count()
	return n.next.Done(ctx)
}

func (n countingNode) Status(ctx context.Context) (bootstrap.Status, error) {
	n.count()
	return n.next.Status(ctx)
}

func (n countingNode) Wait(ctx context.Context, since bootstrap.Status, limit time.Duration) (bootstrap.Status, error) {
	n.count()
	return n.next.Wait(ctx, since, limit)
}

func (n countingNode) Stage(ctx context.Context, cmds []bootstrap.Command) error {
	n.count()
	return n.next.Stage(ctx, cmds)
}

func (n countingNode) Start(ctx context.Context) error {
	n.count()
	return n.next.Start(ctx)
}

func (n countingNode) Retry(ctx context.Context, step int) error {
	n.count()
	return n.next.Retry(ctx, step)
}

// fakeExecPrefix marks node Pods whose pods/exec the tests answer themselves. No kubelet runs next to the
// test API server, so a real exec can only fail (TestNodePodBootstrapFailureIsReported relies on that);
// Pods named with this prefix show what the controller does when it succeeds.
const fakeExecPrefix = "fake-exec-"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	crds, err := testenv.ClusterAPICRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err = testenv.Start(crds...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	kube, err = client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := startManager(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := startClusterAPI(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cannot start Cluster API's reconcilers:", err)
		return 1
	}
	return m.Run()
}

// startManager runs the provider's controllers in-process against the test API server, set up exactly as
// cmd/provider sets them up (safe-start gate included).
func startManager(ctx context.Context) error {
	zl := zap.New(zap.UseDevMode(os.Getenv("TEST_DEBUG") != ""), zap.WriteTo(os.Stderr), zap.Level(zapLevel()),
		zap.RawZapOpts(uzap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, logs.core()) })))
	ctrl.SetLogger(zl)
	pctx, stop := context.WithCancel(ctx)
	kill := &killSwitch{}
	stopped, err := testprovider.Start(pctx, env, zl, sent.wrap(execs.Node), testprovider.RecordingRequests(requests),
		func(cfg *rest.Config) { cfg.Wrap(kill.wrap) })
	if err != nil {
		stop()
		return err
	}
	provider = runningProvider{ctx: ctx, stop: stop, stopped: stopped, kill: kill}
	return nil
}

// A killSwitch plays a provider process that dies at a moment a test picks, which a cancelled context cannot:
// once a response the test names has reached the provider, every later request of the provider fails, as
// nothing more comes from a dead process; the test then starts another provider (restartProvider).
type killSwitch struct {
	mu    sync.Mutex
	when  func(req *http.Request, code int) bool
	dead  bool
	fired chan struct{}
}

// armAt makes the provider die once when returns true for a request and its response's status code; the
// channel it returns is closed then.
func (k *killSwitch) armAt(when func(req *http.Request, code int) bool) <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.when, k.fired = when, make(chan struct{})
	return k.fired
}

func (k *killSwitch) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		k.mu.Lock()
		dead := k.dead
		k.mu.Unlock()
		if dead {
			return nil, fmt.Errorf("%s %s: the provider is dead", req.Method, req.URL.Path)
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.dead && k.when != nil && k.when(req, resp.StatusCode) {
			k.dead = true
			close(k.fired)
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// runningProvider is the provider the tests run, which a test may restart.
type runningProvider struct {
	// ctx is the suite's, which a restarted provider runs in too.
	ctx     context.Context //nolint:containedctx // the suite's context outlives every test
	stop    context.CancelFunc
	stopped <-chan struct{}
	// kill makes it die at a moment a test picks.
	kill *killSwitch
}

// restartProvider stops the provider, waits until it stopped, and starts another, as a provider Pod that is
// replaced, upgraded or loses its leadership would be.
func restartProvider(t *testing.T) {
	t.Helper()
	provider.stop()
	select {
	case <-provider.stopped:
	case <-time.After(timeout):
		t.Fatal("the provider did not stop")
	}
	if err := startManager(provider.ctx); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls fn until it returns nil or the timeout passes, then fails the test with fn's last error.
func waitFor(t testing.TB, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s: %v", what, err)
}

// newNamespace creates a namespace of its own for a test, with a ProviderConfig named "default" that uses
// the provider's own identity (the test API server is the outer cluster).
func newNamespace(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t-" + strings.ToLower(rand.String(8))}}
	if err := kube.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pc := &v1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "default"},
		Spec:       v1alpha1.ProviderConfigSpec{Credentials: v1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}},
	}
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// condition returns the condition of type ct in cs, or an Unknown one.
func condition(cs []xpv2.Condition, ct xpv2.ConditionType) xpv2.Condition {
	for _, c := range cs {
		if c.Type == ct {
			return c
		}
	}
	return xpv2.Condition{Type: ct, Status: corev1.ConditionUnknown}
}

// logs is what the provider and Cluster API's reconcilers logged, at every level, while a test captured it.
var logs = &logCapture{}

// A logCapture keeps log lines in memory while it is on; off, it enables no level, so that it costs nothing.
type logCapture struct {
	on atomic.Bool
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logCapture) core() zapcore.Core {
	return zapcore.NewCore(zapcore.NewJSONEncoder(uzap.NewDevelopmentEncoderConfig()), zapcore.AddSync(l), l)
}

// Enabled makes a logCapture its own zapcore.LevelEnabler: every level while it is on.
func (l *logCapture) Enabled(zapcore.Level) bool { return l.on.Load() }

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// capture starts capturing; the function it returns stops and returns what was logged meanwhile.
func (l *logCapture) capture() (stop func() string) {
	l.mu.Lock()
	l.b.Reset()
	l.mu.Unlock()
	l.on.Store(true)
	return func() string {
		l.on.Store(false)
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.b.String()
	}
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_DEBUG") != "" {
		return -1
	}
	return 2
}
