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
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// settle is how long the harness waits after the last NodePod is gone before it reads the provider's CPU
// time and request count, so that work the provider finishes just after (events, status writes) is counted.
const settle = time.Second

// phases runs the floor and the NodePods against one outer cluster.
type phases struct {
	oc      *outerCluster
	cfg     Config
	work    string
	logf    func(string, ...any)
	servers *servers // nil when not found
	writes  *writeCounter
}

// serverWrites is how many writes the outer kube-apiserver served so far, by verb and resource; nil when it
// cannot tell.
func (ph *phases) serverWrites(ctx context.Context) map[string]float64 {
	w, err := ph.writes.writes(ctx)
	if err != nil {
		ph.logf("cannot count the API server's writes: %v", err)
		return nil
	}
	return w
}

// serverCPU is the CPU time the outer cluster's servers used so far; zero when they were not found.
func (ph *phases) serverCPU() time.Duration {
	if ph.servers == nil {
		return 0
	}
	d, err := ph.servers.cpu()
	if err != nil {
		ph.logf("cannot read the API server's CPU time: %v", err)
		return 0
	}
	return d
}

// floor creates cfg.Nodes Pods like the provider's node Pods, waits for all to be Ready, deletes them and waits
// for all to be gone: what the outer cluster needs without the provider.
func (ph *phases) floor(ctx context.Context, res *Result) error {
	names := nodeNames(ph.cfg.Nodes)
	pods := make([]*corev1.Pod, len(names))
	for i, name := range names {
		p, err := floorPod(name)
		if err != nil {
			return err
		}
		pods[i] = p
	}
	keys := keysOf("Pod", floorNamespace, names)

	srv0, writes0 := ph.serverCPU(), ph.serverWrites(ctx)
	ph.logf("floor: creating %d Pods", len(pods))
	create, err := ph.timed(ctx, becameReady, keys, func(i int) error { return ph.oc.kube.Create(ctx, pods[i]) })
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	res.FloorCreate = create

	ph.logf("floor: deleting %d Pods", len(pods))
	del, err := ph.timed(ctx, wentAway, keys, func(i int) error { return ph.oc.kube.Delete(ctx, pods[i]) })
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	res.FloorDelete = del
	res.FloorServerCPU = ph.serverCPU() - srv0
	res.FloorServerWrites = minus(ph.serverWrites(ctx), writes0)
	return nil
}

// nodePods creates cfg.Nodes NodePods, waits for all to be Ready, deletes them and waits for all to be gone,
// reading the provider's CPU time and API requests before and after.
func (ph *phases) nodePods(ctx context.Context, res *Result, p *provider) error {
	names := nodeNames(ph.cfg.Nodes)
	before, err := ph.usage(ctx, p)
	if err != nil {
		return err
	}

	if ph.cfg.Profile {
		pp := providerProfiler(p)
		defer func() {
			if err := pp.allocs(ctx, filepath.Join(ph.work, "provider-allocs.pprof")); err != nil {
				ph.logf("cannot collect the provider's allocations: %v", err)
			}
		}()
		defer pp.collect(ctx, ph.work, "provider", ph.logf)()
		sp, err := serverProfiler(ph.oc.cfg)
		if err != nil {
			return err
		}
		defer sp.collect(ctx, ph.work, "kube-apiserver", ph.logf)()
	}

	nps := make([]*v1alpha1.NodePod, len(names))
	for i, name := range names {
		nps[i] = nodePod(name)
	}
	keys := keysOf("NodePod", nodePodNamespace, names)

	ph.logf("NodePods: creating %d", len(nps))
	create, err := ph.timed(ctx, becameReady, keys, func(i int) error { return ph.oc.kube.Create(ctx, nps[i]) })
	res.NodePodsReady = ph.oc.rec.count(becameReady, keys)
	if err != nil {
		return fmt.Errorf("NodePods: %w", err)
	}
	res.NodePodCreate = create
	res.Latencies = ph.latenciesOf("NodePod", nodePodNamespace, names)

	ph.logf("NodePods: deleting %d", len(nps))
	del, err := ph.timed(ctx, wentAway, keys, func(i int) error {
		return ph.oc.kube.Delete(ctx, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: nodePodNamespace, Name: nps[i].Name}})
	})
	res.NodePodsDeleted = ph.oc.rec.count(wentAway, keys)
	if err != nil {
		return fmt.Errorf("NodePods: %w", err)
	}
	res.NodePodDelete = del

	spent, err := ph.spentSince(ctx, p, before)
	if err != nil {
		return err
	}
	res.ProviderCPU, res.NodePodServerCPU, res.APIRequests = spent.providerCPU, spent.serverCPU, spent.requests
	res.NodePodServerWrites = spent.serverWrites
	return nil
}

// usage is what the provider and the outer cluster's servers have spent up to a moment; a phase reads it
// before it starts and subtracts that from what it reads after.
type usage struct {
	providerCPU, serverCPU time.Duration
	// requests counts the provider's API requests by HTTP method.
	requests map[string]float64
	// serverWrites counts the writes the outer kube-apiserver served, from anyone, by verb and resource.
	serverWrites map[string]float64
}

// usage reads the provider's CPU time and request counts and the servers' CPU time now.
func (ph *phases) usage(ctx context.Context, p *provider) (usage, error) {
	cpu, err := p.cpu()
	if err != nil {
		return usage{}, err
	}
	req, err := p.requests(ctx)
	if err != nil {
		return usage{}, err
	}
	return usage{providerCPU: cpu, serverCPU: ph.serverCPU(), requests: req, serverWrites: ph.serverWrites(ctx)}, nil
}

// spentSince waits settle for the provider to finish what the phase's last event started, then returns what
// was spent since before.
func (ph *phases) spentSince(ctx context.Context, p *provider, before usage) (usage, error) {
	time.Sleep(settle)
	now, err := ph.usage(ctx, p)
	if err != nil {
		return usage{}, err
	}
	spent := usage{
		providerCPU:  now.providerCPU - before.providerCPU,
		serverCPU:    now.serverCPU - before.serverCPU,
		requests:     minus(now.requests, before.requests),
		serverWrites: minus(now.serverWrites, before.serverWrites),
	}
	return spent, nil
}

// minus is what each counter counted up from before to now; counters that did not move are left out.
func minus(now, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// timed sends do(i) for every key, cfg.Parallelism at a time, and returns the time from the first request to
// the last key h happened to.
func (ph *phases) timed(ctx context.Context, h happening, keys []key, do func(i int) error) (time.Duration, error) {
	start := time.Now()
	if err := parallel(ph.cfg.Parallelism, len(keys), do); err != nil {
		return 0, err
	}
	last, missing, err := ph.oc.rec.waitAll(ctx, h, keys, ph.cfg.PhaseTimeout)
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, ph.describe(ctx, missing))
	}
	return last.Sub(start), nil
}

// describe says what state k is in, to explain why it is late.
func (ph *phases) describe(ctx context.Context, k key) string {
	nn := types.NamespacedName{Namespace: k.namespace, Name: k.name}
	switch k.kind {
	case "Pod":
		p := &corev1.Pod{}
		if err := ph.oc.kube.Get(ctx, nn, p); err != nil {
			return err.Error()
		}
		return fmt.Sprintf("node %q, phase %s, deleting %v, conditions %v", p.Spec.NodeName, p.Status.Phase, p.DeletionTimestamp != nil, p.Status.Conditions)
	case "KubernetesMachine":
		km := &infrav1.KubernetesMachine{}
		if err := ph.oc.kube.Get(ctx, nn, km); err != nil {
			return err.Error()
		}
		return fmt.Sprintf("deleting %v, finalizers %v, providerID %q, conditions %v", km.DeletionTimestamp != nil, km.Finalizers, km.Spec.ProviderID, km.Status.Conditions)
	default:
		np := &v1alpha1.NodePod{}
		if err := ph.oc.kube.Get(ctx, nn, np); err != nil {
			return err.Error()
		}
		return fmt.Sprintf("deleting %v, finalizers %v, conditions %v", np.DeletionTimestamp != nil, np.Finalizers, np.Status.Conditions)
	}
}

// parallel calls do(0) … do(n-1), workers at a time, and returns the first error.
func parallel(workers, n int, do func(i int) error) error {
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := do(i); err != nil && !kerrors.IsNotFound(err) {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

func nodeNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%04d", i)
	}
	return names
}

func keysOf(kind, namespace string, names []string) []key {
	keys := make([]key, len(names))
	for i, n := range names {
		keys[i] = key{kind, namespace, n}
	}
	return keys
}

// parameters are every NodePod's forProvider: a worker without bootstrap data, placed on the fake Node.
func parameters() v1alpha1.NodePodParameters {
	return v1alpha1.NodePodParameters{
		ClusterName:       "bench",
		Role:              v1alpha1.NodeRoleWorker,
		KubernetesVersion: "v1.37.2",
		NodeSelector:      map[string]string{kwokLabel: "kwok"},
		Tolerations:       []corev1.Toleration{{Key: kwokTaintKey, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
	}
}

func nodePod(name string) *v1alpha1.NodePod {
	return &v1alpha1.NodePod{
		ObjectMeta: metav1.ObjectMeta{Namespace: nodePodNamespace, Name: name},
		Spec: v1alpha1.NodePodSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: "default"},
			},
			ForProvider: parameters(),
		},
	}
}

// floorPod is the Pod the engine builds for a NodePod, without the labels that would make it the provider's.
func floorPod(name string) (*corev1.Pod, error) {
	p, err := kindnode.BuildPod(kindnode.Node{
		Name:      name,
		Namespace: floorNamespace,
		Owner:     kindnode.Owner{Kind: "Floor", Name: name, Namespace: floorNamespace},
		Params:    parameters(),
	})
	if err != nil {
		return nil, err
	}
	p.Labels = map[string]string{"app.kubernetes.io/name": "bench-floor"}
	return p, nil
}
