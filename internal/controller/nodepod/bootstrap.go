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

package nodepod

import (
	"context"
	"fmt"
	"sync"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/bootstrap"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	// bootstrapTimeout bounds one bootstrap run; kubeadm init on a loaded machine takes a few minutes.
	bootstrapTimeout = 15 * time.Minute
	// retryAfter is how long a failed run is reported before it is tried again.
	retryAfter = time.Minute
	// formatKey is where Cluster API's bootstrap Secrets keep the data's format.
	formatKey = "format"
)

// waitForBoot holds the bootstrap back until systemd in the node has started containerd: kubeadm needs the
// container runtime, and exec works as soon as the container starts, long before that.
var waitForBoot = bootstrap.Command{
	Argv:        []string{"/bin/sh", "-c", `for i in $(seq 1 180); do systemctl is-active --quiet containerd && exit 0; sleep 1; done; echo "containerd did not start within 180s" >&2; exit 1`},
	Description: "wait for containerd in the node",
}

// run is the state of one bootstrap of one Pod.
type run struct {
	step, total int
	description string
	finished    bool
	finishedAt  time.Time
	err         error
}

// A bootstrapper runs bootstrap data in node Pods in the background: a run takes minutes, far longer than
// one reconcile may. It reports progress when asked and requests a reconcile when a run ends.
type bootstrapper struct {
	// lifetime, the manager's, is that of the runs.
	lifetime
	notify func(types.NamespacedName)

	mu   sync.Mutex
	runs map[types.UID]*run
}

func newBootstrapper(notify func(types.NamespacedName)) *bootstrapper {
	return &bootstrapper{notify: notify, runs: map[types.UID]*run{}}
}

func (b *bootstrapper) state(uid types.UID) (run, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.runs[uid]
	if !ok {
		return run{}, false
	}
	return *r, true
}

func (b *bootstrapper) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.runs, uid)
}

func (b *bootstrapper) start(uid types.UID, mr types.NamespacedName, e bootstrap.Executor, cmds []bootstrap.Command) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.runs[uid]; ok {
		return
	}
	r := &run{total: len(cmds)}
	b.runs[uid] = r
	ctx, cancel := context.WithTimeout(b.context(), bootstrapTimeout)
	go func() {
		defer cancel()
		err := bootstrap.Run(ctx, e, cmds, func(step, total int, c bootstrap.Command) {
			b.mu.Lock()
			r.step, r.total, r.description = step, total, c.Description
			b.mu.Unlock()
		})
		b.mu.Lock()
		r.finished, r.finishedAt, r.err = true, time.Now(), err
		b.mu.Unlock()
		b.notify(mr)
	}()
}

// bootstrapDone tells whether the NodePod's node needs no more bootstrapping: it has no bootstrap data, or the
// data ran to completion on the current Pod.
func bootstrapDone(cr *v1alpha1.NodePod) bool {
	return cr.Spec.ForProvider.BootstrapDataSecretRef == nil || cr.Status.AtProvider.Bootstrapped
}

func bootstrapped(s corev1.ConditionStatus, r xpv2.ConditionReason, msg string) xpv2.Condition {
	return xpv2.Condition{Type: v1alpha1.TypeBootstrapped, Status: s, Reason: r, Message: msg, LastTransitionTime: metav1.Now()}
}

// observeBootstrap reports how far the bootstrap of a running node Pod got, or readies its start for Update.
func (e *external) observeBootstrap(ctx context.Context, cr *v1alpha1.NodePod, pod *corev1.Pod) {
	ref := cr.Spec.ForProvider.BootstrapDataSecretRef
	switch {
	case ref == nil:
		return
	case cr.Status.AtProvider.Bootstrapped:
		cr.Status.SetConditions(bootstrapped(corev1.ConditionTrue, v1alpha1.ReasonBootstrapSucceeded, ""))
		return
	case !kindnode.NodeContainerRunning(pod):
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonWaitingForPod, "waiting for the node container to start"))
		return
	}

	if st, ok := e.boot.state(pod.UID); ok {
		switch {
		case !st.finished:
			cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapping,
				fmt.Sprintf("step %d of %d: %s", st.step, st.total, st.description)))
		case st.err == nil:
			cr.Status.AtProvider.Bootstrapped = true
			cr.Status.SetConditions(bootstrapped(corev1.ConditionTrue, v1alpha1.ReasonBootstrapSucceeded, ""))
			e.boot.forget(pod.UID)
		default:
			cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapFailed,
				fmt.Sprintf("%v; retrying after %s", st.err, retryAfter)))
			if time.Since(st.finishedAt) > retryAfter {
				e.boot.forget(pod.UID)
			}
		}
		return
	}

	s := &corev1.Secret{}
	if err := e.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: ref.Name}, s); err != nil {
		msg := fmt.Sprintf("cannot get bootstrap data Secret %s/%s: %v", cr.GetNamespace(), ref.Name, err)
		if kerrors.IsNotFound(err) {
			msg = fmt.Sprintf("waiting for bootstrap data Secret %s/%s", cr.GetNamespace(), ref.Name)
		}
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonWaitingForData, msg))
		return
	}
	key := ref.Key
	if key == "" {
		key = "value"
	}
	data, ok := s.Data[key]
	if !ok {
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonWaitingForData,
			fmt.Sprintf("bootstrap data Secret %s/%s has no key %q", s.Namespace, s.Name, key)))
		return
	}
	addr, err := e.localAddress(ctx, e.node(cr), pod)
	if err != nil {
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonWaitingForPod, err.Error()))
		return
	}
	cmds, err := bootstrap.Parse(bootstrap.Format(s.Data[formatKey]), data, bootstrap.Options{
		KubeadmIgnorePreflightErrors: true,
		MetaData:                     metaData(pod, addr),
	})
	if err != nil {
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonInvalidBootstrapData, err.Error()))
		return
	}
	// Observe only reads: running commands in the node is an update of it, which the management policies
	// may not allow.
	exec := e.executor(e.outer.Config, pod.Namespace, pod.Name, kindnode.ContainerName)
	uid, nn := pod.UID, types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()}
	e.startBootstrap = func() { e.boot.start(uid, nn, exec, append([]bootstrap.Command{waitForBoot}, cmds...)) }
	cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonReadyToBootstrap,
		"the node runs and its bootstrap data is read; the bootstrap starts with the NodePod's next update, which spec.managementPolicies must allow"))
}

// metaData is the instance metadata bootstrap templates may read, as {{ ds.meta_data.<key> }}: enough for
// Cluster API templates to name the node, hand the kubelet its provider ID and advertise the node's address
// (local_ipv4, as cloud-init names it).
func metaData(pod *corev1.Pod, localAddress string) map[string]string {
	return map[string]string{
		"local_ipv4":     localAddress,
		"hostname":       pod.Name,
		"local_hostname": pod.Name,
		"instance_id":    string(pod.UID),
		"namespace":      pod.Namespace,
		"provider_id":    kindnode.ProviderID(pod.Namespace, pod.Name),
	}
}
