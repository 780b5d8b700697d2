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
	"fmt"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/crossplane/function-sdk-go/resource"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Names of the direct mode's composed resources in the composition.
const (
	resPKI                   resource.Name = "pki"
	resEndpoint              resource.Name = "endpoint"
	resKubeconfig            resource.Name = "kubeconfig"
	resBootstrapInit         resource.Name = "bootstrap-init"
	resBootstrapControlPlane resource.Name = "bootstrap-control-plane"
	resBootstrapWorker       resource.Name = "bootstrap-worker"
)

// Keys of bootstrap data Secrets, as Cluster API's bootstrap providers write them and NodePods read them.
const (
	keyBootstrapValue  = "value"
	keyBootstrapFormat = "format"
	formatCloudConfig  = "cloud-config"
)

// conditionReady is the summary condition of managed resources and of this provider's objects.
const conditionReady = "Ready"

// apiServerPort is the port the NodeService exposes the inner API server on.
const apiServerPort = 6443

const (
	roleControlPlane = "control-plane"
	roleWorker       = "worker"
)

func controlPlaneResource(i int) resource.Name {
	return resource.Name(fmt.Sprintf("%s-%d", roleControlPlane, i))
}

func workerResource(i int) resource.Name { return resource.Name(fmt.Sprintf("%s-%d", roleWorker, i)) }

// Direct composes a cluster without Cluster API: a NodeService as its endpoint, NodePods for its nodes and
// the kubeadm bootstrap data they run, much as kind bootstraps its nodes. It proceeds in steps, each
// waiting for the one before to be observed:
//
//  1. the cluster certificates Secret (CAs, service account key, bootstrap token, admin certificate),
//     generated once and read back from then on, and the NodeService;
//  2. once the NodeService has an address: the bootstrap data Secrets and the kubeconfig Secret;
//  3. the first control-plane NodePod (kubeadm init), then one more control-plane NodePod (kubeadm join)
//     each time all before it are ready;
//  4. once the first control-plane node is ready: the worker NodePods.
//
// A node that exists stays composed even if an earlier one becomes unready. Workers beyond
// spec.workers.replicas are dropped, and so deleted. Control-plane nodes are not: etcd would lose its
// members without being told, so they are kept and reported in a warning.
func Direct(c Cluster, obs Observed, gen Generator, now time.Time) (Output, error) {
	out := Output{Status: Status{
		ControlPlane: NodeCount{Desired: int32(c.ControlPlaneReplicas())},
		Workers:      NodeCount{Desired: int32(c.WorkerReplicas())},
	}}
	p, err := directPKI(obs, gen, now)
	if err != nil {
		return Output{}, err
	}
	ds := []desired{
		{resPKI, secret(c, c.Name+"-pki", p.SecretData()), obs.exists(resPKI)},
		{resEndpoint, nodeService(c), obs.conditionTrue(resEndpoint, conditionReady)},
	}
	ep, ok := observedEndpoint(obs)
	switch {
	case !obs.exists(resPKI):
		out.Status.Message = "waiting for the cluster certificates Secret " + c.Name + "-pki"
	case !ok:
		out.Status.Message = "waiting for the endpoint NodeService " + c.Name + " to get an address"
	default:
		out.Status.Endpoint = ep.URL()
		more, err := directNodes(c, obs, p, ep, &out)
		if err != nil {
			return Output{}, err
		}
		ds = append(ds, more...)
	}
	out.Resources, err = toDesired(ds)
	return out, err
}

// directNodes composes steps 2 to 4 and fills in the node counts, readiness and message.
func directNodes(c Cluster, obs Observed, p *PKI, ep Endpoint, out *Output) ([]desired, error) {
	initData, err := InitCloudConfig(c, p, ep)
	if err != nil {
		return nil, err
	}
	cpJoin, err := JoinCloudConfig(c, p, ep, true)
	if err != nil {
		return nil, err
	}
	workerJoin, err := JoinCloudConfig(c, p, ep, false)
	if err != nil {
		return nil, err
	}
	kubeconfig, err := Kubeconfig(c, p, ep)
	if err != nil {
		return nil, err
	}
	ds := []desired{
		{resBootstrapInit, bootstrapSecret(c, roleControlPlane+"-init", initData), obs.exists(resBootstrapInit)},
		{resBootstrapControlPlane, bootstrapSecret(c, roleControlPlane+"-join", cpJoin), obs.exists(resBootstrapControlPlane)},
		{resBootstrapWorker, bootstrapSecret(c, roleWorker+"-join", workerJoin), obs.exists(resBootstrapWorker)},
		{resKubeconfig, secret(c, kubeconfigSecretName(c), map[string][]byte{keyBootstrapValue: kubeconfig}), obs.exists(resKubeconfig)},
	}
	if obs.exists(resKubeconfig) {
		out.Status.KubeconfigSecretName = kubeconfigSecretName(c)
	}

	// why is what the first node that exists and is not ready says of itself.
	var why string
	unready := func(name resource.Name, node string) {
		if _, msg := obs.condition(name, conditionReady); why == "" && msg != "" {
			why = "; " + node + ": " + msg
		}
	}

	// Control-plane nodes join one at a time: etcd adds one member at a time.
	previousReady := true
	for i := 0; ; i++ {
		name := controlPlaneResource(i)
		exists := obs.exists(name)
		if i >= c.ControlPlaneReplicas() {
			if !exists {
				break
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("control-plane node %s is kept although spec.controlPlane.replicas is %d: the direct mode does not remove etcd members; delete the node by hand after removing its etcd member, or use the capi mode",
				nodeName(c.Name, roleControlPlane, i), c.ControlPlaneReplicas()))
		}
		if !exists && !previousReady {
			continue
		}
		bootstrap := c.Name + "-" + roleControlPlane + "-join"
		if i == 0 {
			bootstrap = c.Name + "-" + roleControlPlane + "-init"
		}
		ready := obs.conditionTrue(name, conditionReady)
		ds = append(ds, desired{name, nodePod(c, i, true, bootstrap), ready})
		if ready {
			out.Status.ControlPlane.Ready++
		} else {
			unready(name, nodeName(c.Name, roleControlPlane, i))
		}
		previousReady = previousReady && ready
	}

	// Workers join once the cluster exists, all at once.
	clusterUp := obs.conditionTrue(controlPlaneResource(0), conditionReady)
	for i := range c.WorkerReplicas() {
		name := workerResource(i)
		if !obs.exists(name) && !clusterUp {
			continue
		}
		ready := obs.conditionTrue(name, conditionReady)
		ds = append(ds, desired{name, nodePod(c, i, false, c.Name+"-"+roleWorker+"-join"), ready})
		if ready {
			out.Status.Workers.Ready++
		} else {
			unready(name, nodeName(c.Name, roleWorker, i))
		}
	}

	st := &out.Status
	switch {
	case st.ControlPlane.Ready < st.ControlPlane.Desired:
		st.Message = fmt.Sprintf("waiting for control-plane nodes: %d of %d ready%s", st.ControlPlane.Ready, st.ControlPlane.Desired, why)
	case st.Workers.Ready < st.Workers.Desired:
		st.Message = fmt.Sprintf("waiting for worker nodes: %d of %d ready%s", st.Workers.Ready, st.Workers.Desired, why)
	case st.KubeconfigSecretName == "":
		st.Message = "waiting for the kubeconfig Secret " + kubeconfigSecretName(c)
	default:
		st.Ready = true
	}
	return ds, nil
}

// directPKI reads the cluster material back from the observed Secret, or generates it the first time. An
// admin certificate close to expiry is reissued; everything else never changes.
func directPKI(obs Observed, gen Generator, now time.Time) (*PKI, error) {
	if !obs.exists(resPKI) {
		p, err := gen.NewPKI(now)
		return p, errors.Wrap(err, "cannot generate the cluster certificates")
	}
	var s corev1.Secret
	if err := obs.decode(resPKI, &s); err != nil {
		return nil, err
	}
	p, err := PKIFromSecretData(s.Data)
	if err != nil {
		return nil, errors.Wrapf(err, "Secret %s holds no usable cluster certificates; delete it only if no node uses them yet", s.Name)
	}
	if p.adminExpiresSoon(now) {
		if p.Admin, err = gen.NewAdmin(p.CA, now); err != nil {
			return nil, errors.Wrap(err, "cannot reissue the admin certificate")
		}
	}
	return p, nil
}

// observedEndpoint is the NodeService's address, once the outer Service has one.
func observedEndpoint(obs Observed) (Endpoint, bool) {
	var at kindnodev1alpha1.NodeServiceObservation
	obs.into(resEndpoint, "status.atProvider", &at)
	if at.Host == "" || at.Port == 0 {
		return Endpoint{}, false
	}
	return Endpoint{Host: at.Host, Port: at.Port}, true
}

func providerConfigRef(c Cluster) *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: c.Spec.ProviderConfigRef.Kind, Name: c.Spec.ProviderConfigRef.Name}
}

// nodeService is the inner cluster's endpoint. It and the outer Service carry the KindCluster's name.
func nodeService(c Cluster) *kindnodev1alpha1.NodeService {
	return &kindnodev1alpha1.NodeService{
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace},
		Spec: kindnodev1alpha1.NodeServiceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: providerConfigRef(c)},
			ForProvider: kindnodev1alpha1.NodeServiceParameters{
				ClusterName: c.Name,
				Type:        c.Spec.ServiceType,
				Port:        apiServerPort,
			},
		},
	}
}

// nodePod is the i-th node of a role; its bootstrap data is the Secret named bootstrap.
func nodePod(c Cluster, i int, controlPlane bool, bootstrap string) *kindnodev1alpha1.NodePod {
	role, name := kindnodev1alpha1.NodeRoleWorker, nodeName(c.Name, roleWorker, i)
	p := kindnodev1alpha1.NodePodParameters{
		ClusterName:            c.Name,
		KubernetesVersion:      c.Spec.KubernetesVersion,
		Resources:              c.Spec.Workers.Resources,
		DisableDefaultCNI:      c.Spec.DisableDefaultCNI,
		BootstrapDataSecretRef: &kindnodev1alpha1.BootstrapDataSecretReference{Name: bootstrap, Key: keyBootstrapValue},
	}
	if controlPlane {
		role, name = kindnodev1alpha1.NodeRoleControlPlane, nodeName(c.Name, roleControlPlane, i)
		p.Resources = c.Spec.ControlPlane.Resources
		p.Persistence = c.Spec.ControlPlane.Persistence
	}
	p.Role = role
	return &kindnodev1alpha1.NodePod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
		Spec: kindnodev1alpha1.NodePodSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: providerConfigRef(c)},
			ForProvider:         p,
		},
	}
}

func secret(c Cluster, name string, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}

// bootstrapSecret is bootstrap data in the form NodePods read: cloud-config under "value".
func bootstrapSecret(c Cluster, suffix string, data []byte) *corev1.Secret {
	return secret(c, c.Name+"-"+suffix, map[string][]byte{keyBootstrapValue: data, keyBootstrapFormat: []byte(formatCloudConfig)})
}

// Kubeconfig is an admin kubeconfig of the inner cluster through its endpoint, laid out as Cluster API's
// kubeconfig.New lays out a cluster's (TestKubeconfigIsClusterAPIs). kubeconfig.New itself issues a new
// client key on every call, and the function renders the kubeconfig Secret on every run from the admin
// certificate it keeps; it would also link some 300 more packages into the function (go list -deps).
func Kubeconfig(c Cluster, p *PKI, ep Endpoint) ([]byte, error) {
	user := c.Name + "-admin"
	ctx := user + "@" + c.Name
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{c.Name: {Server: ep.URL(), CertificateAuthorityData: p.CA.Cert}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {ClientCertificateData: p.Admin.Cert, ClientKeyData: p.Admin.Key}},
		Contexts:       map[string]*clientcmdapi.Context{ctx: {Cluster: c.Name, AuthInfo: user}},
		CurrentContext: ctx,
	}
	b, err := clientcmd.Write(cfg)
	return b, errors.Wrap(err, "cannot write the kubeconfig")
}
