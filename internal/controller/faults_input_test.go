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
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

// The fault matrix's rows about what the provider is given: bootstrap data, provider configs, a load
// balancer that never comes and storage that is never provisioned.

// TestFaultBootstrapData gives NodePods bootstrap data that is not there yet, in a format the provider does
// not run, and that goes away after the bootstrap. Nothing runs in a node before its data can run, the
// conditions say what is wrong with the data, and data that comes late, or goes, breaks nothing.
func TestFaultBootstrapData(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	late, ignition := fakeExecPrefix+"late", fakeExecPrefix+"ignition"
	// As Cluster API's bootstrap controller writes a Secret of a KubeadmConfig whose spec.format is ignition.
	if err := kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ignition"},
		Data:       map[string][]byte{"value": []byte(`{"ignition":{"version":"3.4.0"}}`), "format": []byte("ignition")},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{late, ignition} {
		secret := strings.TrimPrefix(name, fakeExecPrefix)
		if err := kube.Create(ctx, newNodePod(ns, name, func(np *v1alpha1.NodePod) {
			np.Spec.ForProvider.BootstrapDataSecretRef = &v1alpha1.BootstrapDataSecretReference{Name: secret}
		})); err != nil {
			t.Fatal(err)
		}
		var pod *corev1.Pod
		waitFor(t, "the node Pod "+name, func() (err error) { pod, err = getPod(ns, name); return err })
		markRunningReady(t, pod)
	}

	// The data is missing: the condition names the Secret it waits for.
	var missing xpv2.Condition
	waitFor(t, "Bootstrapped=False naming the missing Secret", func() error {
		missing = getNodePod(t, ns, late).Status.GetCondition(v1alpha1.TypeBootstrapped)
		if missing.Status != corev1.ConditionFalse || missing.Reason != v1alpha1.ReasonWaitingForData || !strings.Contains(missing.Message, ns+"/late") {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", missing.Status, missing.Reason, missing.Message)
		}
		return nil
	})
	// The data is in a format the provider does not run: the condition names the Secret, its format and the
	// format that runs.
	var unsupported xpv2.Condition
	waitFor(t, "Bootstrapped=False naming the format", func() error {
		np := getNodePod(t, ns, ignition)
		unsupported = np.Status.GetCondition(v1alpha1.TypeBootstrapped)
		if unsupported.Status != corev1.ConditionFalse || unsupported.Reason != v1alpha1.ReasonInvalidBootstrapData ||
			!strings.Contains(unsupported.Message, `unsupported bootstrap data format: "ignition"`) ||
			!strings.Contains(unsupported.Message, ns+"/ignition") || !strings.Contains(unsupported.Message, "runs cloud-config only") {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", unsupported.Status, unsupported.Reason, unsupported.Message)
		}
		if c := np.Status.GetCondition(xpv2.TypeReady); c.Status == corev1.ConditionTrue {
			return fmt.Errorf("Ready although the bootstrap data cannot run")
		}
		return nil
	})
	// The reconciles that wrote the conditions would have started a bootstrap before writing them, and a
	// bootstrap's first request to the node goes out at once.
	for _, name := range []string{late, ignition} {
		if n, cmds := sent.to(ns, name), execs.Commands(ns, name); n != 0 || len(cmds) != 0 {
			t.Fatalf("node %s without runnable bootstrap data was sent %d requests and ran %d commands", name, n, len(cmds))
		}
	}

	// The data comes late. Nothing watches bootstrap data Secrets: the NodePod reads its Secret again at its
	// next poll (a minute in the binary, an hour in tests), which the test asks for.
	data := "#cloud-config\nwrite_files:\n- path: /run/kubeadm/kubeadm.yaml\n  content: |\n    kind: JoinConfiguration\nruncmd:\n- 'kubeadm join --config /run/kubeadm/kubeadm.yaml'\n"
	if err := kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late"},
		Data:       map[string][]byte{"value": []byte(data), "format": []byte("cloud-config")},
	}); err != nil {
		t.Fatal(err)
	}
	poke(t, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: late}})
	waitFor(t, "Bootstrapped=True and Ready=True with the data there", func() error {
		np := getNodePod(t, ns, late)
		if c := np.Status.GetCondition(v1alpha1.TypeBootstrapped); c.Status != corev1.ConditionTrue || !np.Status.AtProvider.Bootstrapped {
			return fmt.Errorf("Bootstrapped is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		if c := np.Status.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready is %s/%s: %s", c.Status, c.Reason, c.Message)
		}
		return nil
	})
	ran := commandLines(ns, late)
	if !strings.Contains(strings.Join(ran, "\n"), "kubeadm join") {
		t.Errorf("the node did not run kubeadm join; it ran:\n%s", strings.Join(ran, "\n"))
	}

	// The data goes after the bootstrap. A reconcile that saw the Secret gone shows the Pod's new address.
	before := sent.to(ns, late)
	if err := kube.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late"}}); err != nil {
		t.Fatal(err)
	}
	const moved = "10.1.2.4"
	waitFor(t, "the Pod's new address", func() error {
		p, err := getPod(ns, late)
		if err != nil {
			return err
		}
		p.Status.PodIP = moved
		return kube.Status().Update(ctx, p)
	})
	var after *v1alpha1.NodePod
	waitFor(t, "a reconcile after the Secret went, Ready still", func() error {
		after = getNodePod(t, ns, late)
		if after.Status.AtProvider.PodIP != moved {
			return fmt.Errorf("atProvider.podIP is %q", after.Status.AtProvider.PodIP)
		}
		for _, ct := range []xpv2.ConditionType{xpv2.TypeReady, xpv2.TypeSynced, v1alpha1.TypeBootstrapped} {
			if c := after.Status.GetCondition(ct); c.Status != corev1.ConditionTrue {
				t.Errorf("%s is %s/%s after the bootstrap data Secret went: %s", ct, c.Status, c.Reason, c.Message)
			}
		}
		return nil
	})
	if n := sent.to(ns, late); n != before {
		t.Errorf("the node was sent %d requests after its bootstrap data Secret went", n-before)
	}
	if n := sent.to(ns, ignition); n != 0 {
		t.Errorf("the node with ignition data was sent %d requests", n)
	}

	for _, name := range []string{late, ignition} {
		if err := kube.Delete(ctx, getNodePod(t, ns, name)); err != nil {
			t.Fatal(err)
		}
		waitForPodAndNodePodGone(t, ns, name)
	}
	collectGarbage(ctx, t, ns)
	nothingLeft(ctx, t, ns, "ignition")
	observed(t, "missing Secret: %s %q, nothing run; created late: bootstrapped at the next reconcile (%d commands); ignition: %s %q, nothing run; Secret deleted after bootstrap: Ready, Synced, Bootstrapped stay True; nothing left",
		missing.Reason, missing.Message, len(ran), unsupported.Reason, unsupported.Message)
}

// TestFaultProviderConfig points a NodePod at a ProviderConfig that is not there yet, and takes away the
// kubeconfig Secret of another's ProviderConfig while its node runs: the conditions say so, no node Pod is
// created or deleted for it, and each recovers once what was missing is back.
func TestFaultProviderConfig(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)

	// A ProviderConfig that does not exist.
	if err := kube.Create(ctx, newNodePod(ns, "early", func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "later"}
	})); err != nil {
		t.Fatal(err)
	}
	var absent xpv2.Condition
	waitFor(t, "Synced=False naming the missing ProviderConfig", func() error {
		absent = getNodePod(t, ns, "early").Status.GetCondition(xpv2.TypeSynced)
		if absent.Status != corev1.ConditionFalse || !strings.Contains(absent.Message, `"later" not found`) || !strings.Contains(absent.Message, "ProviderConfig") {
			return fmt.Errorf("Synced is %s/%s: %s", absent.Status, absent.Reason, absent.Message)
		}
		return nil
	})
	if _, err := getPod(ns, "early"); !kerrors.IsNotFound(err) {
		t.Fatalf("a node Pod without a ProviderConfig: %v", err)
	}
	// The NodePod tries again, backing off, as any reconcile that failed: no poll is needed.
	if err := kube.Create(ctx, &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "later"},
		Spec:       apisv1alpha1.ProviderConfigSpec{Credentials: apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity}},
	}); err != nil {
		t.Fatal(err)
	}
	var early *corev1.Pod
	waitFor(t, "the node Pod once the ProviderConfig is there", func() (err error) { early, err = getPod(ns, "early"); return err })
	markRunningReady(t, early)
	waitForSyncedAndReady(t, ns, "early")

	// A ProviderConfig whose kubeconfig Secret goes while its node runs.
	kc, err := env.Kubeconfig("fault-provider-config")
	if err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kc}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, secretProviderConfig(ns, "outer", "outer", ns)); err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, newNodePod(ns, "remote", func(np *v1alpha1.NodePod) {
		np.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "outer"}
	})); err != nil {
		t.Fatal(err)
	}
	var remote *corev1.Pod
	waitFor(t, "the node Pod through the kubeconfig", func() (err error) { remote, err = getPod(ns, "remote"); return err })
	markRunningReady(t, remote)
	waitForSyncedAndReady(t, ns, "remote")
	providerConfigReady(t, ns, "outer", corev1.ConditionTrue, "")

	if err := kube.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}}); err != nil {
		t.Fatal(err)
	}
	// Nothing watches Secrets: the config checks its Secret, and the NodePod reconciles, at their next polls,
	// which the test asks for.
	poke(t, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}})
	poke(t, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}})
	pcReady := providerConfigReady(t, ns, "outer", corev1.ConditionFalse, "cannot read the kubeconfig Secret "+ns+"/outer")
	var synced xpv2.Condition
	waitFor(t, "Synced=False naming the Secret", func() error {
		synced = getNodePod(t, ns, "remote").Status.GetCondition(xpv2.TypeSynced)
		if synced.Status != corev1.ConditionFalse || !strings.Contains(synced.Message, `"outer" not found`) || !strings.Contains(synced.Message, "credentials") {
			return fmt.Errorf("Synced is %s/%s: %s", synced.Status, synced.Reason, synced.Message)
		}
		return nil
	})
	samePod(t, remote, "while its ProviderConfig's kubeconfig Secret is gone")

	if err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}, Data: map[string][]byte{"kubeconfig": kc}}); err != nil {
		t.Fatal(err)
	}
	poke(t, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "outer"}})
	poke(t, &v1alpha1.NodePod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "remote"}})
	providerConfigReady(t, ns, "outer", corev1.ConditionTrue, "")
	waitForSyncedAndReady(t, ns, "remote")
	samePod(t, remote, "once the kubeconfig Secret is back")
	samePod(t, early, "beside another ProviderConfig's fault")

	for _, name := range []string{"early", "remote"} {
		if err := kube.Delete(ctx, getNodePod(t, ns, name)); err != nil {
			t.Fatal(err)
		}
		waitForPodAndNodePodGone(t, ns, name)
	}
	collectGarbage(ctx, t, ns)
	nothingLeft(ctx, t, ns, "outer")
	observed(t, "no ProviderConfig: Synced %s %q, no Pod; created: Pod and Ready; kubeconfig Secret deleted: ProviderConfig Ready %s %q, NodePod Synced %s %q, Pod kept; Secret back: Ready again, same Pod; nothing left",
		absent.Status, absent.Message, pcReady.Status, pcReady.Message, synced.Status, synced.Message)
}

// TestFaultLoadBalancerWithoutAddress asks for a LoadBalancer Service from an outer cluster that runs no
// load-balancer controller, so that the Service never gets an address: the NodeService says it waits for one,
// publishes no endpoint, and deletes what it made.
func TestFaultLoadBalancerWithoutAddress(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	if err := kube.Create(ctx, newNodeService(ns, "lb", func(s *v1alpha1.NodeService) {
		s.Spec.ForProvider.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: "lb-endpoint"}
	})); err != nil {
		t.Fatal(err)
	}
	var svc *corev1.Service
	waitFor(t, "the LoadBalancer Service", func() (err error) {
		if svc, err = getService(ns, "lb"); err != nil {
			return err
		}
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Spec.ClusterIP == "" {
			return fmt.Errorf("type %s, cluster IP %q", svc.Spec.Type, svc.Spec.ClusterIP)
		}
		return nil
	})
	var ready xpv2.Condition
	waiting := func(what string) {
		t.Helper()
		waitFor(t, what, func() error {
			s := getNodeService(t, ns, "lb")
			if c := s.Status.GetCondition(xpv2.TypeSynced); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Synced is %s/%s: %s", c.Status, c.Reason, c.Message)
			}
			ready = s.Status.GetCondition(xpv2.TypeReady)
			if ready.Status != corev1.ConditionFalse || !strings.Contains(ready.Message, "load balancer") || !strings.Contains(ready.Message, ns+"/lb") {
				return fmt.Errorf("Ready is %s/%s: %s", ready.Status, ready.Reason, ready.Message)
			}
			if s.Status.AtProvider.Host != "" {
				return fmt.Errorf("an endpoint without a load balancer: %s", s.Status.AtProvider.Host)
			}
			return nil
		})
	}
	waiting("Ready=False saying it waits for a load-balancer address")
	// Another reconcile, as a poll would bring, says the same and changes nothing.
	poke(t, &v1alpha1.NodeService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lb"}})
	waiting("Ready=False still after another reconcile")
	now, err := getService(ns, "lb")
	if err != nil {
		t.Fatal(err)
	}
	if now.UID != svc.UID || now.Spec.ClusterIP != svc.Spec.ClusterIP {
		t.Errorf("the Service was replaced or changed while it waited for a load balancer")
	}
	// No endpoint is published: a client given the cluster IP of a LoadBalancer Service would reach it only
	// from inside the outer cluster.
	endpoint := &corev1.Secret{}
	switch err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "lb-endpoint"}, endpoint); {
	case kerrors.IsNotFound(err):
	case err != nil:
		t.Fatal(err)
	case len(endpoint.Data["endpoint"]) > 0:
		t.Errorf("an endpoint was published without a load balancer: %q", endpoint.Data["endpoint"])
	}

	if err := kube.Delete(ctx, getNodeService(t, ns, "lb")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Service and NodeService to be gone", func() error {
		if _, err := getService(ns, "lb"); !kerrors.IsNotFound(err) {
			return fmt.Errorf("service: %v", err)
		}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "lb"}, &v1alpha1.NodeService{}); !kerrors.IsNotFound(err) {
			return fmt.Errorf("NodeService: %v", err)
		}
		return nil
	})
	collectGarbage(ctx, t, ns)
	nothingLeft(ctx, t, ns)
	observed(t, "no address ever: Ready %s %q, Synced True, no endpoint published; deleted: nothing left", ready.Status, ready.Message)
}

// TestFaultClaimPending asks for persistence from an outer cluster with no StorageClass and no volume
// provisioner, whose claims stay Pending: the NodePod names the claims and says why they are Pending, and
// deleting it deletes them (reclaimPolicy Delete).
func TestFaultClaimPending(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	nodes := map[string]func(*v1alpha1.NodePod){
		// No StorageClass named, and the outer cluster has no default one.
		"noclass": persistent(v1alpha1.ReclaimPolicyDelete),
		// A StorageClass named that the outer cluster does not have.
		"fast": func(np *v1alpha1.NodePod) {
			persistent(v1alpha1.ReclaimPolicyDelete)(np)
			np.Spec.ForProvider.Persistence.Containerd.StorageClassName = ptr.To("fast")
			np.Spec.ForProvider.Persistence.Etcd.StorageClassName = ptr.To("fast")
		},
	}
	// No scheduler runs next to the test API server: the test plays it, which finds no node for a Pod whose
	// claims are not bound and says so in the Pod's status.
	const unschedulable = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	for name, mutate := range nodes {
		if err := kube.Create(ctx, newNodePod(ns, name, mutate)); err != nil {
			t.Fatal(err)
		}
		var pod *corev1.Pod
		waitFor(t, "the node Pod "+name, func() (err error) { pod, err = getPod(ns, name); return err })
		pod.Status.Conditions = []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: unschedulable, LastTransitionTime: metav1.Now(),
		}}
		if err := kube.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
	said := map[string]string{}
	for name, why := range map[string]string{"noclass": "no default StorageClass", "fast": `StorageClass "fast"`} {
		waitFor(t, "Ready=False naming the Pending claims of "+name, func() error {
			for _, v := range []string{kindnode.VolumeEtcd, kindnode.VolumeContainerd} {
				pvc, err := getClaim(ns, kindnode.PVCName(name, v))
				if err != nil {
					return err
				}
				if pvc.Status.Phase != corev1.ClaimPending {
					return fmt.Errorf("claim %s is %s", pvc.Name, pvc.Status.Phase)
				}
			}
			c := getNodePod(t, ns, name).Status.GetCondition(xpv2.TypeReady)
			if c.Status != corev1.ConditionFalse || c.Reason != v1alpha1.ReasonClaimPending {
				return fmt.Errorf("Ready is %s/%s: %s", c.Status, c.Reason, c.Message)
			}
			for _, want := range []string{ns + "/" + kindnode.PVCName(name, kindnode.VolumeEtcd), ns + "/" + kindnode.PVCName(name, kindnode.VolumeContainerd), "are Pending", why, unschedulable} {
				if !strings.Contains(c.Message, want) {
					return fmt.Errorf("Ready is %s/%s: %s; want %q in the message", c.Status, c.Reason, c.Message, want)
				}
			}
			said[name] = c.Message
			return nil
		})
	}

	for name := range nodes {
		if err := kube.Delete(ctx, getNodePod(t, ns, name)); err != nil {
			t.Fatal(err)
		}
		waitForPodAndNodePodGone(t, ns, name)
	}
	// Under reclaimPolicy Delete the provider deletes the claims. kube-controller-manager's PVC protection
	// controller, absent here, then removes its finalizer from each, as no Pod uses them: the test does.
	var claims []string
	for name := range nodes {
		claims = append(claims, kindnode.PVCName(name, kindnode.VolumeEtcd), kindnode.PVCName(name, kindnode.VolumeContainerd))
	}
	waitFor(t, "the claims deleted", func() error {
		left := 0
		for _, name := range claims {
			pvc, err := getClaim(ns, name)
			switch {
			case kerrors.IsNotFound(err):
				continue
			case err != nil:
				return err
			case pvc.DeletionTimestamp == nil:
				return fmt.Errorf("claim %s is not being deleted", name)
			}
			left++
			if i := slices.Index(pvc.Finalizers, "kubernetes.io/pvc-protection"); i >= 0 {
				pvc.Finalizers = slices.Delete(pvc.Finalizers, i, i+1)
				if err := kube.Update(ctx, pvc); err != nil {
					return err
				}
			}
		}
		if left > 0 {
			return fmt.Errorf("%d claims left", left)
		}
		return nil
	})
	collectGarbage(ctx, t, ns)
	nothingLeft(ctx, t, ns)
	observed(t, "claims Pending, Pod unschedulable: Ready %s %q; with a missing class: %q; deleted: %d claims deleted, nothing left",
		v1alpha1.ReasonClaimPending, said["noclass"], said["fast"], len(claims))
}

// commandLines are the commands the node Pod ns/name ran, one line each.
func commandLines(ns, name string) []string {
	var out []string
	for _, c := range execs.Commands(ns, name) {
		out = append(out, strings.Join(c.Argv, " "))
	}
	return out
}

// waitForSyncedAndReady waits until the NodePod ns/name is Synced and Ready.
func waitForSyncedAndReady(t *testing.T, ns, name string) {
	t.Helper()
	waitFor(t, name+" Synced and Ready", func() error {
		np := getNodePod(t, ns, name)
		for _, ct := range []xpv2.ConditionType{xpv2.TypeSynced, xpv2.TypeReady} {
			if c := np.Status.GetCondition(ct); c.Status != corev1.ConditionTrue {
				return fmt.Errorf("%s is %s/%s: %s", ct, c.Status, c.Reason, c.Message)
			}
		}
		return nil
	})
}

// providerConfigReady waits until the Ready condition of ProviderConfig ns/name has status and a message
// holding message, and returns it.
func providerConfigReady(t *testing.T, ns, name string, status corev1.ConditionStatus, message string) xpv2.Condition {
	t.Helper()
	var c xpv2.Condition
	waitFor(t, fmt.Sprintf("ProviderConfig %s Ready=%s", name, status), func() error {
		pc := &apisv1alpha1.ProviderConfig{}
		if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, pc); err != nil {
			return err
		}
		if c = pc.GetCondition(xpv2.TypeReady); c.Status != status || !strings.Contains(c.Message, message) {
			return fmt.Errorf("Ready is %s: %q", c.Status, c.Message)
		}
		return nil
	})
	return c
}

// samePod fails the test unless pod is still there, the same Pod and not being deleted.
func samePod(t *testing.T, pod *corev1.Pod, when string) {
	t.Helper()
	p, err := getPod(pod.Namespace, pod.Name)
	switch {
	case err != nil:
		t.Fatalf("node Pod %s %s: %v", pod.Name, when, err)
	case p.UID != pod.UID:
		t.Fatalf("node Pod %s was replaced %s", pod.Name, when)
	case p.DeletionTimestamp != nil:
		t.Fatalf("node Pod %s is being deleted %s", pod.Name, when)
	}
}

// collectGarbage does the garbage collector's work, which is part of kube-controller-manager and does not run
// next to the test API server: it deletes the Secrets of ns whose owners are all gone, such as the connection
// Secrets of managed resources that were deleted. (The ProviderConfigUsages of deleted managed resources,
// which the garbage collector would delete too, the provider's config controller deletes itself.)
func collectGarbage(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	l := &corev1.SecretList{}
	if err := kube.List(ctx, l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range l.Items {
		s := &l.Items[i]
		refs := s.GetOwnerReferences()
		if len(refs) == 0 {
			continue
		}
		gone := true
		for _, ref := range refs {
			owner := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: ref.APIVersion, Kind: ref.Kind}}
			err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, owner)
			if err == nil && owner.UID == ref.UID || err != nil && !kerrors.IsNotFound(err) {
				gone = false
			}
		}
		if !gone {
			continue
		}
		if err := kube.Delete(ctx, s); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
		t.Logf("collected as garbage: Secret %s, whose owners are gone", s.Name)
	}
}
