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
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// Namespaces of the two kinds of Pods the harness creates. The provider caches only its own Pods, so the
// floor's are no work for it.
const (
	floorNamespace   = "bench-floor"
	nodePodNamespace = "bench-nodepods"
)

// The fake Node, marked the way kwok's own examples mark one: an annotation for kwok to manage it, a label to
// select it and a taint to keep everything else off it.
const (
	nodeName       = "kwok-node-0"
	kwokAnnotation = "kwok.x-k8s.io/node"
	kwokLabel      = "type"
	kwokTaintKey   = "kwok.x-k8s.io/node"
)

// An outerCluster is the cluster the node Pods run in: a real API server and etcd, kwok playing the kubelet
// of one fake Node, and the harness playing the scheduler.
type outerCluster struct {
	env  *testenv.Env
	cfg  *rest.Config
	kube client.Client
	kwok *process
	node *corev1.Node
	rec  *recorder

	stopCache context.CancelFunc
}

// startOuterCluster starts the API server, kwok and the harness's watches, and creates the fake Node, the
// namespaces and the ClusterProviderConfig "default" that makes the outer cluster the provider's own.
//
// With machines set it also installs Cluster API's CRDs, which must exist before the provider starts for it
// to run its Cluster API controllers, and serves exec into node Pods through kwok, which the KubernetesMachines'
// bootstrap needs.
func startOuterCluster(ctx context.Context, work string, parallelism int, machines bool, log io.Writer, logf func(string, ...any)) (oc *outerCluster, err error) {
	var crds []string
	if machines {
		if crds, err = testenv.ClusterAPICRDs(); err != nil {
			return nil, err
		}
	}
	env, err := testenv.Start(crds...)
	if err != nil {
		return nil, err
	}
	oc = &outerCluster{env: env, stopCache: func() {}}
	defer func() {
		if err != nil {
			oc.stop()
		}
	}()

	// The harness creates and deletes as fast as the API server lets it, so its own client must not be the
	// bottleneck it measures.
	oc.cfg = rest.CopyConfig(env.Config)
	oc.cfg.QPS, oc.cfg.Burst = 5000, 10000
	if oc.kube, err = client.New(oc.cfg, client.Options{Scheme: env.Scheme}); err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(oc.cfg)
	if err != nil {
		return nil, err
	}

	if oc.kwok, err = startKwok(ctx, oc, work, log); err != nil {
		return nil, err
	}
	if err := oc.setUp(ctx, machines); err != nil {
		return nil, err
	}

	cctx, cancel := context.WithCancel(context.Background())
	oc.stopCache = cancel
	oc.rec = newRecorder()
	namespaces := map[string]cache.Config{floorNamespace: {}, nodePodNamespace: {}}
	if machines {
		namespaces[machineNamespace] = cache.Config{}
	}
	ca, err := cache.New(oc.cfg, cache.Options{Scheme: env.Scheme, DefaultNamespaces: namespaces})
	if err != nil {
		return nil, err
	}
	b := newBinder(cctx, cs, oc.node, parallelism, logf)
	if err := oc.rec.watch(cctx, ca, machines, b.offer); err != nil {
		return nil, err
	}
	go func() { _ = ca.Start(cctx) }()
	if !ca.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the harness's watches did not sync")
	}
	return oc, nil
}

// stop stops the watches, kwok, the API server and etcd.
func (oc *outerCluster) stop() {
	oc.stopCache()
	if oc.kwok != nil {
		oc.kwok.Stop()
	}
	_ = oc.env.Stop()
}

// kubeconfig writes a kubeconfig of a new administrator called user into dir.
func (oc *outerCluster) kubeconfig(dir, user string) (string, error) {
	b, err := oc.env.Kubeconfig(user)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, user+".kubeconfig")
	return path, os.WriteFile(path, b, 0o600)
}

// startKwok builds kwok with hack/kwok.sh once and runs it with the node and Pod lifecycle stages that come
// with it, managing only the fake Node. It also serves the fake Node's kubelet API on a loopback port, where
// the API server sends exec into node Pods; see kwokExec.
func startKwok(ctx context.Context, oc *outerCluster, work string, log io.Writer) (*process, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(testenv.RepoRoot(), "hack", "kwok.sh"))
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("hack/kwok.sh failed: %w", err)
	}
	dir := strings.TrimSpace(out.String())
	kubeconfig, err := oc.kubeconfig(work, "kwok")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	execConfig, execPath, cert, key, err := kwokExec(work)
	if err != nil {
		return nil, err
	}
	return startProcessEnv("kwok", filepath.Join(work, "kwok.log"), filepath.Join(dir, "kwok"), []string{"PATH=" + execPath},
		"--kubeconfig="+kubeconfig,
		"--config="+filepath.Join(dir, "stages.yaml"),
		"--config="+execConfig,
		fmt.Sprintf("--server-address=127.0.0.1:%d", port),
		"--tls-cert-file="+cert,
		"--tls-private-key-file="+key,
		"--node-ip=127.0.0.1",
		fmt.Sprintf("--node-port=%d", port),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+kwokAnnotation+"=fake",
		// The default /24 runs out of Pod IPs long before a thousand Pods.
		"--cidr=10.0.0.0/16",
	)
}

// setUp creates the namespaces, the ClusterProviderConfig and the fake Node, and waits for kwok to make the
// Node Ready.
func (oc *outerCluster) setUp(ctx context.Context, machines bool) error {
	namespaces := []string{floorNamespace, nodePodNamespace}
	if machines {
		namespaces = append(namespaces, machineNamespace)
	}
	for _, ns := range namespaces {
		if err := oc.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	pc := &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec:       apisv1alpha1.ProviderConfigSpec{Credentials: apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}},
	}
	if err := oc.kube.Create(ctx, pc); err != nil {
		return err
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        nodeName,
			Labels:      map[string]string{kwokLabel: "kwok", corev1.LabelHostname: nodeName},
			Annotations: map[string]string{kwokAnnotation: "fake"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: kwokTaintKey, Value: "fake", Effect: corev1.TaintEffectNoSchedule}}},
	}
	if err := oc.kube.Create(ctx, node); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if err := oc.kube.Get(ctx, types.NamespacedName{Name: nodeName}, node); err != nil {
			return err
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return oc.untaint(ctx, node)
			}
		}
		if err := oc.kwok.Alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kwok did not make Node %s Ready within a minute\n%s", nodeName, oc.kwok.Tail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// untaint removes the not-ready taint the API server puts on every new Node, as the node lifecycle controller
// of kube-controller-manager, which does not run here, would once the Node is Ready. It also makes the
// Node's Hostname address, which the API server prefers when it connects to a kubelet, the loopback address
// kwok serves on: the Node's name resolves nowhere.
func (oc *outerCluster) untaint(ctx context.Context, node *corev1.Node) error {
	// kwok's heartbeat writes the Node's status too, so either write may conflict with it.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := oc.kube.Get(ctx, types.NamespacedName{Name: node.Name}, node); err != nil {
			return err
		}
		node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: "127.0.0.1"}}
		return oc.kube.Status().Update(ctx, node)
	})
	if err != nil {
		return fmt.Errorf("cannot set the addresses of Node %s: %w", node.Name, err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := oc.kube.Get(ctx, types.NamespacedName{Name: node.Name}, node); err != nil {
			return err
		}
		taints := node.Spec.Taints[:0]
		for _, t := range node.Spec.Taints {
			if t.Key != corev1.TaintNodeNotReady {
				taints = append(taints, t)
			}
		}
		node.Spec.Taints = taints
		return oc.kube.Update(ctx, node)
	})
	if err != nil {
		return fmt.Errorf("cannot remove the not-ready taint from Node %s: %w", node.Name, err)
	}
	oc.node = node
	return nil
}
