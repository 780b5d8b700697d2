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
	"slices"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// BenchmarkPodReadyToNodePodReady measures how long a NodePod takes to report Ready after its Pod turns
// Ready, with the poll interval at an hour: only the watch on the outer Pod can make it happen. It reports
// the p50, p90 and p99 over benchNodes NodePods per iteration, seen through a watch on the NodePods.
func BenchmarkPodReadyToNodePodReady(b *testing.B) {
	const benchNodes = 50
	ctx := context.Background()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for range b.N {
		b.StopTimer()
		ns := newNamespace(b)
		for n := range benchNodes {
			if err := kube.Create(ctx, newNodePod(ns, fmt.Sprintf("n%d", n))); err != nil {
				b.Fatal(err)
			}
		}
		pods := make([]*corev1.Pod, 0, benchNodes)
		for n := range benchNodes {
			name := fmt.Sprintf("n%d", n)
			var pod *corev1.Pod
			deadline := time.Now().Add(timeout)
			for pod == nil {
				if p, err := getPod(ns, name); err == nil {
					pod = p
				} else if time.Now().After(deadline) {
					b.Fatalf("no Pod for %s: %v", name, err)
				} else {
					time.Sleep(20 * time.Millisecond)
				}
			}
			pods = append(pods, pod)
		}

		w, err := wc.Watch(ctx, &v1alpha1.NodePodList{}, client.InNamespace(ns))
		if err != nil {
			b.Fatal(err)
		}
		readyAt := map[string]time.Time{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ev := range w.ResultChan() {
				np, ok := ev.Object.(*v1alpha1.NodePod)
				if !ok || ev.Type == watch.Deleted {
					continue
				}
				if _, seen := readyAt[np.Name]; seen {
					continue
				}
				if condition(np.Status.Conditions, xpv2.TypeReady).Status == corev1.ConditionTrue {
					readyAt[np.Name] = time.Now()
					if len(readyAt) == benchNodes {
						return
					}
				}
			}
		}()

		b.StartTimer()
		markedAt := map[string]time.Time{}
		for _, p := range pods {
			markedAt[p.Name] = time.Now()
			markRunningReady(b, p)
		}
		select {
		case <-done:
		case <-time.After(timeout):
			b.Fatalf("only %d of %d NodePods became Ready", len(readyAt), benchNodes)
		}
		b.StopTimer()
		w.Stop()
		for name, at := range readyAt {
			lat = append(lat, at.Sub(markedAt[name]))
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return lat[int(p*float64(len(lat)-1))].Seconds() * 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.90), "p90-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
