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

package kindcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/crossplane/function-sdk-go/resource"

	infrav1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
)

// Names of the capi mode's composed resources in the composition.
const (
	resCluster                 resource.Name = "cluster"
	resInfrastructureCluster   resource.Name = "infrastructure-cluster"
	resControlPlane            resource.Name = "control-plane"
	resControlPlaneTemplate    resource.Name = "control-plane-machine-template"
	resWorkers                 resource.Name = "workers"
	resWorkerTemplate          resource.Name = "worker-machine-template"
	resWorkerBootstrapTemplate resource.Name = "worker-bootstrap-template"
	resControlPlaneHealthCheck resource.Name = "control-plane-health-check"
	resWorkerHealthCheck       resource.Name = "worker-health-check"
)

// Cluster API's summary condition of Clusters, KubeadmControlPlanes and MachineDeployments.
const conditionAvailable = "Available"

// Groups of the objects the capi mode refers to.
const (
	groupInfrastructure = "infrastructure.cluster.x-k8s.io"
	groupControlPlane   = "controlplane.cluster.x-k8s.io"
	groupBootstrap      = "bootstrap.cluster.x-k8s.io"
)

// CAPI composes what templates/cluster-template.yaml gives clusterctl: a Cluster API Cluster of this
// provider's KubernetesCluster, a KubeadmControlPlane and one MachineDeployment. Cluster API then creates
// the Machines, their KubernetesMachines, NodePods and bootstrap data, scales and replaces nodes, and
// writes the <name>-kubeconfig Secret. The machine templates are immutable, so each is named after a hash
// of its content and a change rolls the nodes out onto a new one, as with clusterctl.
func CAPI(c Cluster, obs Observed) (Output, error) {
	cpTemplate := machineTemplate(c, c.Name+"-control-plane", infrav1alpha1.KubernetesMachineSpec{
		Resources:         c.Spec.ControlPlane.Resources,
		Persistence:       c.Spec.ControlPlane.Persistence,
		DisableDefaultCNI: c.Spec.DisableDefaultCNI,
	})
	workerTemplate := machineTemplate(c, c.Name+"-md-0", infrav1alpha1.KubernetesMachineSpec{
		Resources:         c.Spec.Workers.Resources,
		DisableDefaultCNI: c.Spec.DisableDefaultCNI,
	})
	ds := []desired{
		{resCluster, capiCluster(c), obs.conditionTrue(resCluster, conditionAvailable)},
		{resInfrastructureCluster, &infrav1alpha1.KubernetesCluster{
			ObjectMeta: meta(c, c.Name),
			Spec:       infrav1alpha1.KubernetesClusterSpec{ControlPlaneServiceType: c.Spec.ServiceType},
		}, obs.conditionTrue(resInfrastructureCluster, conditionReady)},
		{resControlPlane, controlPlane(c, cpTemplate.Name), obs.conditionTrue(resControlPlane, conditionAvailable)},
		{resControlPlaneTemplate, cpTemplate, obs.exists(resControlPlaneTemplate)},
		{resWorkers, machineDeployment(c, workerTemplate.Name), obs.conditionTrue(resWorkers, conditionAvailable)},
		{resWorkerTemplate, workerTemplate, obs.exists(resWorkerTemplate)},
		{resWorkerBootstrapTemplate, &bootstrapv1.KubeadmConfigTemplate{
			ObjectMeta: meta(c, c.Name+"-md-0"),
			Spec: bootstrapv1.KubeadmConfigTemplateSpec{Template: bootstrapv1.KubeadmConfigTemplateResource{
				Spec: bootstrapv1.KubeadmConfigSpec{JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: capiNodeRegistration(c, false)}},
			}},
		}, obs.exists(resWorkerBootstrapTemplate)},
		{resControlPlaneHealthCheck, healthCheck(c, c.Name+"-control-plane", map[string]string{clusterv1.MachineControlPlaneLabel: ""}), obs.exists(resControlPlaneHealthCheck)},
		{resWorkerHealthCheck, healthCheck(c, c.Name+"-md-0", map[string]string{clusterv1.MachineDeploymentNameLabel: c.Name + "-md-0"}), obs.exists(resWorkerHealthCheck)},
	}
	out := Output{Status: capiStatus(c, obs)}
	var err error
	out.Resources, err = toDesired(ds)
	return out, err
}

// capiStatus reads endpoint, node counts and the kubeconfig Secret from Cluster API's objects.
func capiStatus(c Cluster, obs Observed) Status {
	st := Status{
		ControlPlane: NodeCount{Desired: int32(c.ControlPlaneReplicas())},
		Workers:      NodeCount{Desired: int32(c.WorkerReplicas())},
	}
	var ep clusterv1.APIEndpoint
	obs.into(resCluster, "spec.controlPlaneEndpoint", &ep)
	if ep.Host != "" && ep.Port != 0 {
		st.Endpoint = Endpoint{Host: ep.Host, Port: ep.Port}.URL()
	}
	// Cluster API writes the kubeconfig Secret when it marks the control plane initialized.
	var initialized bool
	obs.into(resCluster, "status.initialization.controlPlaneInitialized", &initialized)
	if initialized {
		st.KubeconfigSecretName = kubeconfigSecretName(c)
	}
	obs.into(resControlPlane, "status.readyReplicas", &st.ControlPlane.Ready)
	obs.into(resWorkers, "status.readyReplicas", &st.Workers.Ready)

	switch {
	case !obs.exists(resCluster):
		st.Message = "waiting for the Cluster API Cluster " + c.Name
	case st.Endpoint == "":
		st.Message = "waiting for the control-plane endpoint of Cluster " + c.Name
	case st.ControlPlane.Ready < st.ControlPlane.Desired:
		st.Message = fmt.Sprintf("waiting for control-plane nodes: %d of %d ready", st.ControlPlane.Ready, st.ControlPlane.Desired)
	case st.Workers.Ready < st.Workers.Desired:
		st.Message = fmt.Sprintf("waiting for worker nodes: %d of %d ready", st.Workers.Ready, st.Workers.Desired)
	case st.KubeconfigSecretName == "":
		st.Message = "waiting for Cluster API to initialize the control plane"
	case !obs.conditionTrue(resCluster, conditionAvailable):
		st.Message = "waiting for Cluster " + c.Name + " to be Available"
	default:
		st.Ready = true
	}
	return st
}

func meta(c Cluster, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: c.Namespace}
}

func capiCluster(c Cluster) *clusterv1.Cluster {
	return &clusterv1.Cluster{
		ObjectMeta: meta(c, c.Name),
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:     clusterv1.NetworkRanges{CIDRBlocks: []string{c.Spec.PodSubnet}},
				Services: clusterv1.NetworkRanges{CIDRBlocks: []string{c.Spec.ServiceSubnet}},
			},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: groupInfrastructure, Kind: "KubernetesCluster", Name: c.Name},
			ControlPlaneRef:   clusterv1.ContractVersionedObjectReference{APIGroup: groupControlPlane, Kind: "KubeadmControlPlane", Name: c.Name + "-control-plane"},
		},
	}
}

// machineTemplate names the template prefix-<hash of spec>.
func machineTemplate(c Cluster, prefix string, spec infrav1alpha1.KubernetesMachineSpec) *infrav1alpha1.KubernetesMachineTemplate {
	b, _ := json.Marshal(spec) //nolint:errchkjson // A KubernetesMachineSpec always marshals.
	sum := sha256.Sum256(b)
	return &infrav1alpha1.KubernetesMachineTemplate{
		ObjectMeta: meta(c, prefix+"-"+hex.EncodeToString(sum[:])[:8]),
		Spec: infrav1alpha1.KubernetesMachineTemplateSpec{
			Template: infrav1alpha1.KubernetesMachineTemplateResource{Spec: spec},
		},
	}
}

// kubeProxyConfiguration stops kube-proxy from setting nf_conntrack_max, which is global to the host and
// read-only in a Pod's network namespace.
const kubeProxyConfiguration = `---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack:
  maxPerCore: 0
`

// controlPlane is the KubeadmControlPlane of templates/cluster-template.yaml.
func controlPlane(c Cluster, template string) *controlplanev1.KubeadmControlPlane {
	return &controlplanev1.KubeadmControlPlane{
		ObjectMeta: meta(c, c.Name+"-control-plane"),
		Spec: controlplanev1.KubeadmControlPlaneSpec{
			Replicas: ptr.To(int32(c.ControlPlaneReplicas())),
			Version:  c.Spec.KubernetesVersion,
			MachineTemplate: controlplanev1.KubeadmControlPlaneMachineTemplate{Spec: controlplanev1.KubeadmControlPlaneMachineTemplateSpec{
				InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: groupInfrastructure, Kind: "KubernetesMachineTemplate", Name: template},
			}},
			KubeadmConfigSpec: bootstrapv1.KubeadmConfigSpec{
				ClusterConfiguration: bootstrapv1.ClusterConfiguration{
					APIServer: bootstrapv1.APIServer{CertSANs: []string{"localhost", "127.0.0.1"}},
					// Peers may reach etcd through the node's address Service, whose ClusterIP is not the Pod's,
					// and connect from their Pod IP, which their certificates need not name (see the templates).
					Etcd: bootstrapv1.Etcd{Local: bootstrapv1.LocalEtcd{ExtraArgs: []bootstrapv1.Arg{
						{Name: "listen-client-urls", Value: ptr.To("https://0.0.0.0:2379")},
						{Name: "listen-peer-urls", Value: ptr.To("https://0.0.0.0:2380")},
						{Name: "peer-skip-client-san-verification", Value: ptr.To("true")},
					}}},
				},
				Files: []bootstrapv1.File{{
					Path: "/run/kubeadm/kube-proxy-configuration.yaml", Owner: "root:root", Permissions: "0644", Content: kubeProxyConfiguration,
				}},
				// Only the first control-plane machine runs kubeadm init with /run/kubeadm/kubeadm.yaml.
				PreKubeadmCommands: []string{
					"if [ -f /run/kubeadm/kubeadm.yaml ]; then cat /run/kubeadm/kube-proxy-configuration.yaml >> /run/kubeadm/kubeadm.yaml; fi",
					// The advertised address is the node's own only when it is the Pod IP (see the templates).
					`ip -o addr show | grep -q " ` + localAddress + `/" || ip addr add ` + localAddress + `/32 dev lo`,
				},
				// The same machine then installs the pod network, unless its node has none (disableDefaultCNI).
				PostKubeadmCommands: []string{"if [ -f /run/kubeadm/kubeadm.yaml ] && [ -f " + defaultCNI + " ]; then " + applyCNI(c) + "; fi"},
				InitConfiguration: bootstrapv1.InitConfiguration{
					LocalAPIEndpoint: bootstrapv1.APIEndpoint{AdvertiseAddress: localAddress},
					NodeRegistration: capiNodeRegistration(c, true),
				},
				JoinConfiguration: bootstrapv1.JoinConfiguration{
					ControlPlane:     &bootstrapv1.JoinControlPlane{LocalAPIEndpoint: bootstrapv1.APIEndpoint{AdvertiseAddress: localAddress}},
					NodeRegistration: capiNodeRegistration(c, true),
				},
			},
		},
	}
}

// localAddress is the address a control-plane node advertises: the provider fills it in with the node's Pod IP,
// or the ClusterIP of its address Service when its etcd persists and the Pod may come back with another IP.
const localAddress = "{{ ds.meta_data.local_ipv4 }}"

// unhealthyAfter is how long the templates' MachineHealthChecks wait before they call a Machine's Node
// unhealthy; startupTimeout how long a Machine may go without a Node.
const (
	unhealthyAfter = int32(300)
	startupTimeout = int32(600)
)

// healthCheck is a MachineHealthCheck of the cluster templates: a node Pod that is lost is not booted again
// (its NodePod's podLossPolicy is Report), so Cluster API must replace its Machine. It does not look at
// InfrastructureReady, which is False while a Machine provisions too (see cluster-template.yaml).
func healthCheck(c Cluster, name string, selector map[string]string) *clusterv1.MachineHealthCheck {
	return &clusterv1.MachineHealthCheck{
		ObjectMeta: meta(c, name),
		Spec: clusterv1.MachineHealthCheckSpec{
			ClusterName: c.Name,
			Selector:    metav1.LabelSelector{MatchLabels: selector},
			Checks: clusterv1.MachineHealthCheckChecks{
				NodeStartupTimeoutSeconds: ptr.To(startupTimeout),
				UnhealthyNodeConditions: []clusterv1.UnhealthyNodeCondition{
					{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, TimeoutSeconds: ptr.To(unhealthyAfter)},
					{Type: corev1.NodeReady, Status: corev1.ConditionFalse, TimeoutSeconds: ptr.To(unhealthyAfter)},
				},
			},
		},
	}
}

// capiNodeRegistration is the nodeRegistration of the cluster templates. A control plane without workers
// must run workloads, so its nodes then get no taint.
func capiNodeRegistration(c Cluster, controlPlane bool) bootstrapv1.NodeRegistrationOptions {
	args := []bootstrapv1.Arg{
		{Name: "provider-id", Value: ptr.To("kubernetes://{{ ds.meta_data.namespace }}/{{ ds.meta_data.hostname }}")},
		{Name: "fail-cgroupv1", Value: ptr.To("false")},
		{Name: "eviction-hard", Value: ptr.To("nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%")},
		{Name: "image-gc-high-threshold", Value: ptr.To("100")},
		{Name: "fail-swap-on", Value: ptr.To("false")},
		{Name: "cgroup-root", Value: ptr.To("/kubelet")},
		{Name: "runtime-cgroups", Value: ptr.To("/system.slice/containerd.service")},
	}
	nr := bootstrapv1.NodeRegistrationOptions{CRISocket: criSocket, KubeletExtraArgs: args}
	if controlPlane && c.WorkerReplicas() == 0 {
		nr.Taints = &[]corev1.Taint{}
	}
	return nr
}

func machineDeployment(c Cluster, template string) *clusterv1.MachineDeployment {
	name := c.Name + "-md-0"
	labels := map[string]string{clusterv1.ClusterNameLabel: c.Name, clusterv1.MachineDeploymentNameLabel: name}
	return &clusterv1.MachineDeployment{
		ObjectMeta: meta(c, name),
		Spec: clusterv1.MachineDeploymentSpec{
			ClusterName: c.Name,
			Replicas:    ptr.To(int32(c.WorkerReplicas())),
			Selector:    metav1.LabelSelector{MatchLabels: labels},
			Template: clusterv1.MachineTemplateSpec{
				ObjectMeta: clusterv1.ObjectMeta{Labels: labels},
				Spec: clusterv1.MachineSpec{
					ClusterName: c.Name,
					Version:     c.Spec.KubernetesVersion,
					Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: groupBootstrap, Kind: "KubeadmConfigTemplate", Name: name,
					}},
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: groupInfrastructure, Kind: "KubernetesMachineTemplate", Name: template},
				},
			},
		},
	}
}
