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

package kindnode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// podOption changes a test node Pod.
type podOption func(*corev1.Pod)

// nodePod is a scheduled, pending worker node Pod, changed by opts.
func nodePod(opts ...podOption) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "w-0", Namespace: "outer", UID: "uid-1", Labels: map[string]string{LabelRole: RoleWorker}},
		Spec: corev1.PodSpec{
			NodeName:   "outer-node-1",
			Containers: []corev1.Container{{Name: ContainerName, Image: "kindest/node:v1.37.2"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withPhase(ph corev1.PodPhase) podOption { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func withCondition(t corev1.PodConditionType, s corev1.ConditionStatus, reason, msg string) podOption {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: s, Reason: reason, Message: msg})
	}
}

func withNodeContainer(st corev1.ContainerState) podOption {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: ContainerName, State: st})
	}
}

func withLastTermination(t corev1.ContainerStateTerminated) podOption {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &t }
}

func deleting() podOption {
	return func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }
}

func controlPlane() podOption { return func(p *corev1.Pod) { p.Labels[LabelRole] = RoleControlPlane } }

func unscheduled() podOption { return func(p *corev1.Pod) { p.Spec.NodeName = "" } }

var (
	running = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	ready   = []podOption{withPhase(corev1.PodRunning), withCondition(corev1.PodReady, corev1.ConditionTrue, "", ""), withNodeContainer(running)}
)

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

func TestPodReady(t *testing.T) {
	cases := map[string]struct {
		reason string
		pod    *corev1.Pod
		want   bool
	}{
		"Ready":        {reason: "A Pod whose Ready condition is true is ready.", pod: nodePod(ready...), want: true},
		"NotReady":     {reason: "A Pod whose Ready condition is false is not ready.", pod: nodePod(withPhase(corev1.PodRunning), withCondition(corev1.PodReady, corev1.ConditionFalse, "", ""))},
		"NoCondition":  {reason: "A Pod without a Ready condition is not ready.", pod: nodePod()},
		"BeingDeleted": {reason: "A Pod being deleted is on its way out, ready or not.", pod: nodePod(append(ready, deleting())...)},
		"NoPod":        {reason: "No Pod is not a ready Pod.", pod: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PodReady(tc.pod)); diff != "" {
				t.Errorf("\n%s\nPodReady(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNodeContainerRunning(t *testing.T) {
	cases := map[string]struct {
		reason string
		pod    *corev1.Pod
		want   bool
	}{
		"Running":      {reason: "A running node container can run commands.", pod: nodePod(withPhase(corev1.PodRunning), withNodeContainer(running)), want: true},
		"Waiting":      {reason: "A node container still being created cannot.", pod: nodePod(withNodeContainer(waiting("ContainerCreating", "")))},
		"NoStatus":     {reason: "A node container the kubelet has not reported on cannot.", pod: nodePod()},
		"BeingDeleted": {reason: "Commands in a Pod being deleted would be cut short.", pod: nodePod(withPhase(corev1.PodRunning), withNodeContainer(running), deleting())},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, NodeContainerRunning(tc.pod)); diff != "" {
				t.Errorf("\n%s\nNodeContainerRunning(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestObservePod(t *testing.T) {
	cases := map[string]struct {
		reason string
		pod    *corev1.Pod
		want   v1alpha1.NodePodObservation
	}{
		"Ready": {
			reason: "A ready Pod's observation should carry its identity, address, image, host and provider ID.",
			pod: nodePod(append(ready, func(p *corev1.Pod) {
				p.Status.PodIP = "10.244.1.7"
				// What the kubelet reports may be a resolved digest; the observation shows what was asked for.
				p.Status.ContainerStatuses[0].Image = "docker.io/kindest/node@sha256:abc"
			})...),
			want: v1alpha1.NodePodObservation{
				PodName: "w-0", PodNamespace: "outer", PodUID: "uid-1", PodIP: "10.244.1.7", Phase: corev1.PodRunning,
				Ready: true, ProviderID: "kubernetes://outer/w-0", Image: "kindest/node:v1.37.2", HostNodeName: "outer-node-1",
			},
		},
		"Unscheduled": {
			reason: "A Pod nobody runs yet has no address and no host.",
			pod:    nodePod(unscheduled()),
			want: v1alpha1.NodePodObservation{
				PodName: "w-0", PodNamespace: "outer", PodUID: "uid-1", Phase: corev1.PodPending,
				ProviderID: "kubernetes://outer/w-0", Image: "kindest/node:v1.37.2",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ObservePod(tc.pod)); diff != "" {
				t.Errorf("\n%s\nObservePod(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPodAvailability(t *testing.T) {
	type want struct {
		Available bool
		Reason    string
		Message   string
	}
	cases := map[string]struct {
		reason string
		pod    *corev1.Pod
		want   want
	}{
		"Available": {
			reason: "A ready node Pod is available.",
			pod:    nodePod(ready...),
			want:   want{Available: true},
		},
		"NoPod": {
			reason: "No Pod is no node.",
			want:   want{Reason: "PodNotFound", Message: "the node Pod does not exist"},
		},
		"Terminating": {
			reason: "A ready Pod being deleted is not available.",
			pod:    nodePod(append(ready, deleting())...),
			want:   want{Reason: "PodTerminating", Message: "the node Pod is being deleted"},
		},
		"Evicted": {
			reason: "A failed Pod never comes back by itself; the user should learn why and what to do.",
			pod: nodePod(withPhase(corev1.PodFailed), func(p *corev1.Pod) {
				p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: memory."
			}),
			want: want{Reason: "PodFailed", Message: "the node Pod failed: Evicted: The node was low on resource: memory.; delete the Pod to have it created again"},
		},
		"Succeeded": {
			reason: "A Pod whose container exited for good is not available.",
			pod:    nodePod(withPhase(corev1.PodSucceeded)),
			want:   want{Reason: "PodSucceeded", Message: "the node container exited and is not restarted; delete the Pod to have it created again"},
		},
		"Unknown": {
			reason: "A Pod the outer cluster lost contact with is not available.",
			pod:    nodePod(withPhase(corev1.PodUnknown)),
			want:   want{Reason: "PodUnknown", Message: "the outer cluster lost contact with the node Pod on outer node outer-node-1"},
		},
		"Unschedulable": {
			reason: "An unschedulable Pod should pass on the scheduler's explanation and say what to check.",
			pod: nodePod(unscheduled(), withCondition(corev1.PodScheduled, corev1.ConditionFalse, corev1.PodReasonUnschedulable,
				"0/3 nodes are available: 3 Insufficient memory.")),
			want: want{Reason: "PodUnschedulable", Message: "the node Pod cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.; " +
				"check forProvider resources, nodeSelector, tolerations and affinity against the outer cluster's nodes"},
		},
		"SchedulingGated": {
			reason: "A Pod held back from scheduling for another reason is pending, with that reason.",
			pod: nodePod(unscheduled(), withCondition(corev1.PodScheduled, corev1.ConditionFalse, corev1.PodReasonSchedulingGated,
				"Scheduling is blocked due to non-empty scheduling gates")),
			want: want{Reason: "PodPending", Message: "the node Pod is not scheduled yet: SchedulingGated: Scheduling is blocked due to non-empty scheduling gates"},
		},
		"WaitingToBeScheduled": {
			reason: "A Pod the scheduler has not looked at yet is pending.",
			pod:    nodePod(unscheduled()),
			want:   want{Reason: "PodPending", Message: "the node Pod is waiting to be scheduled"},
		},
		"ContainerCreating": {
			reason: "A container being created is an ordinary part of starting.",
			pod:    nodePod(withNodeContainer(waiting("ContainerCreating", ""))),
			want:   want{Reason: "PodPending", Message: "the node Pod is starting on outer node outer-node-1"},
		},
		"ImagePullBackOff": {
			reason: "An image that cannot be pulled should be named, with what to check.",
			pod:    nodePod(withNodeContainer(waiting("ImagePullBackOff", `Back-off pulling image "kindest/node:v1.37.2"`))),
			want: want{Reason: "ImagePullBackOff", Message: `cannot pull the node image "kindest/node:v1.37.2": Back-off pulling image "kindest/node:v1.37.2"; ` +
				"check forProvider image or kubernetesVersion, and that the outer cluster can reach the registry"},
		},
		"ErrImagePull": {
			reason: "A failed pull is reported like a pull back-off.",
			pod:    nodePod(withNodeContainer(waiting("ErrImagePull", "manifest unknown"))),
			want: want{Reason: "ErrImagePull", Message: `cannot pull the node image "kindest/node:v1.37.2": manifest unknown; ` +
				"check forProvider image or kubernetesVersion, and that the outer cluster can reach the registry"},
		},
		"InvalidImageName": {
			reason: "A malformed image name should point at forProvider image.",
			pod:    nodePod(withNodeContainer(waiting("InvalidImageName", "couldn't parse image name"))),
			want:   want{Reason: "InvalidImageName", Message: `the node image name "kindest/node:v1.37.2" is invalid: couldn't parse image name; check forProvider image`},
		},
		"CrashLoopBackOff": {
			reason: "A crashing node should say how it last exited and where to read why.",
			pod: nodePod(withPhase(corev1.PodRunning), withNodeContainer(waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container")),
				withLastTermination(corev1.ContainerStateTerminated{ExitCode: 255, Reason: "Error"})),
			want: want{Reason: "CrashLoopBackOff", Message: "the node container keeps exiting (last exit code 255: Error); its logs say why: kubectl logs -n outer w-0 -c node"},
		},
		"CreateContainerError": {
			reason: "Other waiting reasons are passed on with the kubelet's message.",
			pod:    nodePod(withNodeContainer(waiting("CreateContainerError", "failed to create containerd task"))),
			want:   want{Reason: "CreateContainerError", Message: "the node container cannot start: failed to create containerd task"},
		},
		"ContainerExited": {
			reason: "A node container between exit and restart is not available.",
			pod: nodePod(withPhase(corev1.PodRunning), withNodeContainer(corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"},
			})),
			want: want{Reason: "NodeContainerExited", Message: "the node container exited with code 137: OOMKilled; the kubelet restarts it"},
		},
		"ControlPlaneNotReady": {
			reason: "A running control-plane node that is not ready is waiting for its API server.",
			pod: nodePod(controlPlane(), withPhase(corev1.PodRunning), withNodeContainer(running),
				withCondition(corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", "containers with unready status: [node]")),
			want: want{Reason: "PodNotReady", Message: "the API server in the node is not ready yet"},
		},
		"WorkerNotReady": {
			reason: "A running worker that is not ready yet is not available.",
			pod:    nodePod(withPhase(corev1.PodRunning), withNodeContainer(running)),
			want:   want{Reason: "PodNotReady", Message: "the node Pod is not ready yet"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			available, reason, msg := PodAvailability(tc.pod)
			if diff := cmp.Diff(tc.want, want{Available: available, Reason: reason, Message: msg}); diff != "" {
				t.Errorf("\n%s\nPodAvailability(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
