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
	"fmt"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Reasons PodAvailability gives, besides the kubelet's own waiting reasons such as ImagePullBackOff.
const (
	// ReasonPodNotFound says there is no node Pod.
	ReasonPodNotFound = "PodNotFound"
	// ReasonPodTerminating says the node Pod is being deleted.
	ReasonPodTerminating = "PodTerminating"
	// ReasonPodFailed says the node Pod failed for good, e.g. it was evicted.
	ReasonPodFailed = "PodFailed"
	// ReasonPodSucceeded says the node Pod's container exited and will not be restarted.
	ReasonPodSucceeded = "PodSucceeded"
	// ReasonPodUnknown says the outer cluster lost contact with the node Pod.
	ReasonPodUnknown = "PodUnknown"
	// ReasonPodUnschedulable says no outer node can take the node Pod.
	ReasonPodUnschedulable = "PodUnschedulable"
	// ReasonPodPending says the node Pod is on its way: being scheduled, pulled or created.
	ReasonPodPending = "PodPending"
	// ReasonNodeContainerExited says the node container exited and waits to be restarted.
	ReasonNodeContainerExited = "NodeContainerExited"
	// ReasonPodNotReady says the node Pod runs but is not ready.
	ReasonPodNotReady = "PodNotReady"
)

// PodReady reports whether p is Ready and not being deleted.
func PodReady(p *corev1.Pod) bool {
	return p != nil && p.DeletionTimestamp == nil && ReadyCondition(p)
}

// ReadyCondition reports whether p's Ready condition is True, whether p is being deleted or not: the
// kubelet keeps a terminating Pod Ready until its containers stop, and the node lifecycle controller turns it
// False when the Pod's Node is lost.
func ReadyCondition(p *corev1.Pod) bool {
	c, ok := podCondition(p, corev1.PodReady)
	return ok && c.Status == corev1.ConditionTrue
}

// NodeContainerRunning reports whether commands can be run in p's node container: it is running and p is not
// being deleted.
func NodeContainerRunning(p *corev1.Pod) bool {
	if p == nil || p.DeletionTimestamp != nil {
		return false
	}
	cs, ok := nodeContainerStatus(p)
	return ok && cs.State.Running != nil
}

// ObservePod returns the observation of node Pod p. Bootstrapped is left false: only the controller that runs
// the bootstrap knows.
func ObservePod(p *corev1.Pod) v1alpha1.NodePodObservation {
	o := v1alpha1.NodePodObservation{
		PodName:      p.Name,
		PodNamespace: p.Namespace,
		PodUID:       string(p.UID),
		PodIP:        p.Status.PodIP,
		Phase:        p.Status.Phase,
		Ready:        PodReady(p),
		ProviderID:   ProviderID(p.Namespace, p.Name),
		HostNodeName: p.Spec.NodeName,
	}
	if c, ok := nodeContainer(p); ok {
		o.Image = c.Image
	}
	return o
}

// PodAvailability reports whether node Pod p is available and, when it is not, why, in a CamelCase reason and
// a message that tells a user what is going on and, where they can, what to do.
func PodAvailability(p *corev1.Pod) (available bool, reason, message string) {
	if p == nil {
		return false, ReasonPodNotFound, "the node Pod does not exist"
	}
	if p.DeletionTimestamp != nil {
		return false, ReasonPodTerminating, "the node Pod is being deleted"
	}
	switch p.Status.Phase {
	case corev1.PodFailed:
		return false, ReasonPodFailed, "the node Pod failed" + detail(p.Status.Reason, p.Status.Message) +
			"; delete the Pod to have it created again"
	case corev1.PodSucceeded:
		return false, ReasonPodSucceeded, "the node container exited and is not restarted; delete the Pod to have it created again"
	}
	if PodReady(p) {
		return true, "", ""
	}
	if p.Status.Phase == corev1.PodUnknown {
		return false, ReasonPodUnknown, "the outer cluster lost contact with the node Pod" + on(p.Spec.NodeName)
	}
	if c, ok := podCondition(p, corev1.PodScheduled); ok && c.Status == corev1.ConditionFalse {
		if c.Reason == corev1.PodReasonUnschedulable {
			return false, ReasonPodUnschedulable, "the node Pod cannot be scheduled" + detail("", c.Message) +
				"; check forProvider resources, nodeSelector, tolerations and affinity against the outer cluster's nodes"
		}
		return false, ReasonPodPending, "the node Pod is not scheduled yet" + detail(c.Reason, c.Message)
	}

	image := ""
	if c, ok := nodeContainer(p); ok {
		image = c.Image
	}
	cs, ok := nodeContainerStatus(p)
	switch {
	case ok && cs.State.Waiting != nil:
		if r, m, waiting := waitingReason(cs, image, p); waiting {
			return false, r, m
		}
	case ok && cs.State.Terminated != nil:
		t := cs.State.Terminated
		return false, ReasonNodeContainerExited, fmt.Sprintf("the node container exited with code %d%s; the kubelet restarts it",
			t.ExitCode, detail(t.Reason, t.Message))
	}

	if p.Status.Phase == corev1.PodPending {
		if p.Spec.NodeName == "" {
			return false, ReasonPodPending, "the node Pod is waiting to be scheduled"
		}
		return false, ReasonPodPending, "the node Pod is starting" + on(p.Spec.NodeName)
	}
	if p.Labels[LabelRole] == RoleControlPlane {
		return false, ReasonPodNotReady, "the API server in the node is not ready yet"
	}
	return false, ReasonPodNotReady, "the node Pod is not ready yet"
}

// waitingReason explains why the node container is waiting. ok is false for the waits every start goes
// through, which are no news to a user.
func waitingReason(cs corev1.ContainerStatus, image string, p *corev1.Pod) (reason, message string, ok bool) {
	w := cs.State.Waiting
	switch w.Reason {
	case "", "ContainerCreating", "PodInitializing":
		return "", "", false
	case "ErrImagePull", "ImagePullBackOff":
		return w.Reason, fmt.Sprintf("cannot pull the node image %q%s; check forProvider image or kubernetesVersion, and that the outer cluster can reach the registry",
			image, detail("", w.Message)), true
	case "InvalidImageName":
		return w.Reason, fmt.Sprintf("the node image name %q is invalid%s; check forProvider image", image, detail("", w.Message)), true
	case "CrashLoopBackOff":
		last := ""
		if t := cs.LastTerminationState.Terminated; t != nil {
			last = fmt.Sprintf(" (last exit code %d%s)", t.ExitCode, detail(t.Reason, ""))
		}
		return w.Reason, fmt.Sprintf("the node container keeps exiting%s; its logs say why: kubectl logs -n %s %s -c %s",
			last, p.Namespace, p.Name, ContainerName), true
	default:
		return w.Reason, "the node container cannot start" + detail("", w.Message), true
	}
}

// detail formats an optional reason and message as a suffix of a sentence.
func detail(reason, message string) string {
	switch {
	case reason != "" && message != "":
		return fmt.Sprintf(": %s: %s", reason, message)
	case reason != "":
		return ": " + reason
	case message != "":
		return ": " + message
	}
	return ""
}

// on names the outer node a Pod runs on, when it is known.
func on(node string) string {
	if node == "" {
		return ""
	}
	return " on outer node " + node
}

// nodeContainer is the spec of p's node container.
func nodeContainer(p *corev1.Pod) (corev1.Container, bool) {
	for _, c := range p.Spec.Containers {
		if c.Name == ContainerName {
			return c, true
		}
	}
	return corev1.Container{}, false
}

// nodeContainerStatus is the status of p's node container, once the kubelet reported one.
func nodeContainerStatus(p *corev1.Pod) (corev1.ContainerStatus, bool) {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == ContainerName {
			return cs, true
		}
	}
	return corev1.ContainerStatus{}, false
}

// podCondition is p's condition of type t.
func podCondition(p *corev1.Pod, t corev1.PodConditionType) (corev1.PodCondition, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c, true
		}
	}
	return corev1.PodCondition{}, false
}
