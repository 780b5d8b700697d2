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

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
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
	// bootstrapTimeout bounds one bootstrap run in the node; kubeadm init on a loaded machine takes a few
	// minutes.
	bootstrapTimeout = 15 * time.Minute
	// retryAfter is how long a failed run is reported, by default, before its failed step is tried again.
	retryAfter = time.Minute
	// waitFor is how long the node holds one read of its run that finds nothing new.
	waitFor = 30 * time.Second
	// readTimeout bounds one exchange with the node.
	readTimeout = waitFor + time.Minute
	// formatKey is where Cluster API's bootstrap Secrets keep the data's format.
	formatKey = "format"
)

// waitForBoot holds the bootstrap back until systemd in the node has started containerd: kubeadm needs the
// container runtime, and exec works as soon as the container starts, long before that.
var waitForBoot = bootstrap.Command{
	Argv:        []string{"/bin/sh", "-c", `for i in $(seq 1 180); do systemctl is-active --quiet containerd && exit 0; sleep 1; done; echo "containerd did not start within 180s" >&2; exit 1`},
	Description: "wait for containerd in the node",
}

// run is what the provider knows of one bootstrap of one Pod.
type run struct {
	step, total int
	description string
	finished    bool
	finishedAt  time.Time
	err         error
}

// A bootstrapper follows the bootstrap runs of node Pods in the background. The runs themselves are in the
// nodes (bootstrap.Node): the bootstrapper stages and starts a run a node does not have, follows one the node
// has, whoever started it, reports progress when asked and requests a reconcile when a run ends.
type bootstrapper struct {
	// lifetime, the manager's, is that of the following, not of the runs.
	lifetime
	notify func(types.NamespacedName)
	// retryAfter is how long a failed run is reported before its failed step may run again.
	retryAfter time.Duration

	mu   sync.Mutex
	runs map[types.UID]*run
}

func newBootstrapper(notify func(types.NamespacedName), retryAfter time.Duration) *bootstrapper {
	return &bootstrapper{notify: notify, retryAfter: retryAfter, runs: map[types.UID]*run{}}
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

// retryDue tells whether a run that failed has been reported long enough to try its failed step again.
func (r run) retryDue(now time.Time, after time.Duration) bool {
	return r.finished && r.err != nil && now.Sub(r.finishedAt) >= after
}

// start follows the bootstrap of cmds in the Pod uid of NodePod mr, unless it follows it already. retry
// allows a failed step to run again; policy says whether a failure is retried, and so whether the NodePod
// is reconciled again once retryAfter has passed.
func (b *bootstrapper) start(uid types.UID, mr types.NamespacedName, node bootstrap.Runner, cmds []bootstrap.Command, retry bool, policy v1alpha1.BootstrapFailurePolicy) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.runs[uid]; ok && (!retry || !r.retryDue(time.Now(), b.retryAfter)) {
		return
	}
	r := &run{total: len(cmds)}
	b.runs[uid] = r
	go func() {
		err := b.follow(b.context(), mr, r, node, cmds, retry)
		b.mu.Lock()
		r.finished, r.finishedAt, r.err = true, time.Now(), err
		b.mu.Unlock()
		b.notify(mr)
		if err == nil || !retried(err, policy) {
			return
		}
		select {
		case <-time.After(b.retryAfter):
			b.notify(mr)
		case <-b.context().Done():
		}
	}()
}

// follow brings the node's run to its end: it stages and starts a run the node does not have, starts one that
// was staged and stopped between steps, retries a failed step when retry allows, and reads the run until it
// ends. A run the node has under way is followed as it is: a provider that restarted finds it so.
func (b *bootstrapper) follow(ctx context.Context, mr types.NamespacedName, r *run, node bootstrap.Runner, cmds []bootstrap.Command, retry bool) error {
	call := func(f func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(ctx, readTimeout)
		defer cancel()
		return f(ctx)
	}
	var st bootstrap.Status
	read := func(ctx context.Context) (err error) { st, err = node.Status(ctx); return err }
	var done bool
	if err := call(func(ctx context.Context) (err error) { done, err = node.Done(ctx); return err }); err != nil || done {
		return err
	}
	if err := call(read); err != nil {
		return err
	}
	var act func(ctx context.Context) error
	switch {
	case st.Complete, st.Active:
	case st.Failed != nil && !retry:
		return stepError(st.Failed, cmds)
	case st.Failed != nil:
		step := st.Failed.Step
		act = func(ctx context.Context) error { return node.Retry(ctx, step) }
	case st.Staged:
		act = node.Start
	default:
		act = func(ctx context.Context) error {
			if err := node.Stage(ctx, cmds); err != nil {
				return err
			}
			return node.Start(ctx)
		}
	}
	if act != nil {
		if err := call(act); err != nil {
			return err
		}
		if err := call(read); err != nil {
			return err
		}
	}
	for {
		if b.progress(r, st, cmds) {
			b.notify(mr)
		}
		switch {
		case st.Complete:
			return nil
		case st.Failed != nil && !st.Active:
			return stepError(st.Failed, cmds)
		case !st.Active:
			return errors.Errorf("the bootstrap stopped after step %d of %d without finishing; it goes on from there", st.Succeeded, len(cmds))
		}
		if err := call(func(ctx context.Context) (err error) { st, err = node.Wait(ctx, st, waitFor); return err }); err != nil {
			return err
		}
	}
}

// progress records the step the node's run is at, and tells whether it is a step further: the NodePod's
// Bootstrapped condition follows the steps, for whoever watches a node come up.
func (b *bootstrapper) progress(r *run, st bootstrap.Status, cmds []bootstrap.Command) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.step == st.Current {
		return false
	}
	r.step, r.total = st.Current, len(cmds)
	if st.Current > 0 && st.Current <= len(cmds) {
		r.description = cmds[st.Current-1].Description
	}
	return true
}

// stepFailed tells whether a run ended because a step in the node failed, not because the provider could not
// reach the node.
func stepFailed(err error) bool {
	var se *bootstrap.StepError
	return errors.As(err, &se)
}

// retried tells whether a run that ended with err is tried again: the failure policy decides for a failed
// step; a node the provider could not reach, or a run that stopped between steps, is always tried again.
func retried(err error, policy v1alpha1.BootstrapFailurePolicy) bool {
	return !stepFailed(err) || policy != v1alpha1.BootstrapFailurePolicyFail
}

// stepError names the failed step for the condition a user reads.
func stepError(f *bootstrap.Failure, cmds []bootstrap.Command) error {
	var c bootstrap.Command
	if f.Step > 0 && f.Step <= len(cmds) {
		c = cmds[f.Step-1]
	}
	return &bootstrap.StepError{Step: f.Step, Total: len(cmds), Command: c, Err: f}
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

	policy := cr.Spec.ForProvider.BootstrapFailurePolicy
	retry := false
	if st, ok := e.boot.state(pod.UID); ok {
		switch {
		case !st.finished:
			cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapping,
				fmt.Sprintf("step %d of %d: %s", st.step, st.total, st.description)))
			return
		case st.err == nil:
			cr.Status.AtProvider.Bootstrapped = true
			cr.Status.SetConditions(bootstrapped(corev1.ConditionTrue, v1alpha1.ReasonBootstrapSucceeded, ""))
			e.boot.forget(pod.UID)
			return
		case !retried(st.err, policy):
			cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapFailed,
				fmt.Sprintf("%v; not retried: bootstrapFailurePolicy is Fail", st.err)))
			return
		}
		what := "the failed step"
		if !stepFailed(st.err) {
			what = "the bootstrap"
		}
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonBootstrapFailed,
			fmt.Sprintf("%v; retrying %s after %s", st.err, what, e.boot.retryAfter)))
		if !st.retryDue(time.Now(), e.boot.retryAfter) {
			return
		}
		retry = true
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
		cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonInvalidBootstrapData, invalidData(s, err)))
		return
	}
	// Observe only reads: running commands in the node is an update of it, which the management policies
	// may not allow. A provider that restarted finds the node's run where it is when the update comes.
	node := e.nodes(e.outer.Config, pod.Namespace, pod.Name, kindnode.ContainerName)
	uid, nn := pod.UID, types.NamespacedName{Namespace: cr.GetNamespace(), Name: cr.GetName()}
	// A run the provider never saw fail may still have failed: only Retry lets its failed step run again,
	// and only after the failure was reported, here or by a provider before this one.
	e.startBootstrap = func() {
		e.boot.start(uid, nn, node, append([]bootstrap.Command{waitForBoot}, cmds...), retry, policy)
	}
	if retry {
		return
	}
	cr.Status.SetConditions(bootstrapped(corev1.ConditionFalse, v1alpha1.ReasonReadyToBootstrap,
		"the node runs and its bootstrap data is read; the bootstrap starts with the NodePod's next update, which spec.managementPolicies must allow"))
}

// invalidData says that the bootstrap data of Secret s cannot run, and why; for a format other than
// cloud-config, also what would run.
func invalidData(s *corev1.Secret, err error) string {
	msg := fmt.Sprintf("bootstrap data Secret %s/%s cannot run: %v", s.Namespace, s.Name, err)
	if errors.Is(err, bootstrap.ErrUnsupportedFormat) {
		msg += "; a kind node runs cloud-config only: have the bootstrap provider write cloud-config (a KubeadmConfig's spec.format)"
	}
	return msg
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
