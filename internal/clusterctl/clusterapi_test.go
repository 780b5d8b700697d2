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

package clusterctl_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	bootstrapadmission "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/admission"
	controlplaneadmission "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterclass"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	"sigs.k8s.io/cluster-api/feature"
	"sigs.k8s.io/cluster-api/util/conditions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestClusterAPIAdmission puts the generated objects through what a management cluster adds to CRD
// validation: Cluster API's defaulting and validating webhooks, and for the topology flavor its ClusterClass
// reconciler, which checks the class's template references against the CRDs' contract labels and publishes
// the variables a Cluster's topology is validated against.
func TestClusterAPIAdmission(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := feature.MutableGates.Set(string(feature.ClusterTopology) + "=true"); err != nil {
		t.Fatal(err)
	}
	c := startClusterClassReconciler(ctx, t)

	cases := map[string]struct {
		reason string
		flavor string
		vars   map[string]string
		// rejected is the object Cluster API should refuse, as Kind/name; empty when all are fine.
		rejected string
	}{
		"Default": {
			reason: "Cluster API should accept the default flavor's Cluster, MachineDeployment and KubeadmConfigTemplate.",
		},
		"Persistent": {
			reason: "Cluster API should accept the persistent flavor.",
			flavor: "persistent",
		},
		"Topology": {
			reason: "Cluster API should reconcile ClusterClass kubernetes and accept a Cluster of it with the template's variables.",
			flavor: "topology",
		},
		"TopologyWithResources": {
			reason: "The ClusterClass's resource variables should take whole CPUs as well as quantities.",
			flavor: "topology",
			vars:   map[string]string{"KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST": "2", "KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST": "3Gi"},
		},
		"TopologyWithInvalidServiceType": {
			reason:   "The ClusterClass's controlPlaneServiceType variable should only take the Service types the provider supports.",
			flavor:   "topology",
			vars:     map[string]string{"KUBERNETES_CONTROL_PLANE_SERVICE_TYPE": "ExternalName"},
			rejected: "Cluster/demo",
		},
	}
	i := 0
	for name, tc := range cases {
		i++
		ns := fmt.Sprintf("admission-%d", i)
		t.Run(name, func(t *testing.T) {
			if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				t.Fatal(err)
			}
			objs, err := decode([]byte(clusterctl(t, tc.vars, generateArgs(tc.flavor, "--target-namespace", ns)...)))
			if err != nil {
				t.Fatalf("%s\ncannot decode clusterctl's output: %v", tc.reason, err)
			}
			// Clusters last: a topology Cluster is validated against its ClusterClass, which must exist and be
			// reconciled by then.
			var clusters, classes []*unstructured.Unstructured
			for _, o := range objs {
				switch o.GetKind() {
				case "Cluster":
					clusters = append(clusters, o)
					continue
				case "ClusterClass":
					classes = append(classes, o)
				}
				checkAdmission(ctx, t, c, o, tc.reason, tc.rejected)
			}
			if len(classes) > 0 {
				for _, o := range objs {
					if o.GetKind() != "Cluster" {
						if err := c.Create(ctx, o.DeepCopy()); err != nil {
							t.Fatalf("%s\ncannot create %s: %v", tc.reason, ref(o), err)
						}
					}
				}
				for _, o := range classes {
					if err := waitForClusterClass(ctx, c, client.ObjectKeyFromObject(o)); err != nil {
						t.Fatalf("%s\n%v", tc.reason, err)
					}
				}
			}
			for _, o := range clusters {
				checkAdmission(ctx, t, c, o, tc.reason, tc.rejected)
			}
		})
	}
}

// checkAdmission runs Cluster API's admission for one object and compares the verdict with the expected one.
func checkAdmission(ctx context.Context, t *testing.T, c client.Client, o *unstructured.Unstructured, reason, rejected string) {
	t.Helper()
	err := admit(ctx, c, o)
	key := o.GetKind() + "/" + o.GetName()
	switch {
	case key == rejected && err == nil:
		t.Errorf("%s\nCluster API accepts %s", reason, ref(o))
	case key != rejected && err != nil:
		t.Errorf("%s\nCluster API rejects %s: %v", reason, ref(o), err)
	}
}

// admit defaults and validates an object as Cluster API's webhooks would; kinds without webhooks pass.
func admit(ctx context.Context, c client.Client, o *unstructured.Unstructured) error {
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: admissionv1.Create, DryRun: ptr.To(true)}}
	ctx = admission.NewContextWithRequest(ctx, req)
	switch o.GetKind() {
	case "Cluster":
		return defaultAndValidate(ctx, o, &clusterv1.Cluster{}, &coreadmission.Cluster{Client: c})
	case "MachineDeployment":
		return defaultAndValidate(ctx, o, &clusterv1.MachineDeployment{}, &coreadmission.MachineDeployment{})
	case "KubeadmConfigTemplate":
		return defaultAndValidate(ctx, o, &bootstrapv1.KubeadmConfigTemplate{}, &bootstrapadmission.KubeadmConfigTemplate{})
	case "KubeadmControlPlane":
		return defaultAndValidate(ctx, o, &controlplanev1.KubeadmControlPlane{}, &controlplaneadmission.KubeadmControlPlane{})
	case "ClusterClass":
		cc := &clusterv1.ClusterClass{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, cc); err != nil {
			return err
		}
		_, err := (&coreadmission.ClusterClass{Client: c}).ValidateCreate(ctx, cc)
		return err
	}
	return nil
}

// webhook is a Cluster API defaulting and validating webhook for one type.
type webhook[T runtime.Object] interface {
	Default(ctx context.Context, obj T) error
	ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error)
}

func defaultAndValidate[T runtime.Object](ctx context.Context, o *unstructured.Unstructured, typed T, w webhook[T]) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, typed); err != nil {
		return err
	}
	if err := w.Default(ctx, typed); err != nil {
		return fmt.Errorf("defaulting: %w", err)
	}
	if _, err := w.ValidateCreate(ctx, typed); err != nil {
		return err
	}
	return nil
}

// waitForClusterClass waits until the ClusterClass reconciler has resolved the class's template references
// and variables, or says why it cannot.
func waitForClusterClass(ctx context.Context, c client.Client, key client.ObjectKey) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cc := &clusterv1.ClusterClass{}
	for {
		if err := c.Get(ctx, key, cc); err != nil {
			return err
		}
		reconciled := cc.Status.ObservedGeneration == cc.Generation
		variables := conditions.Get(cc, clusterv1.ClusterClassVariablesReadyCondition)
		refs := conditions.Get(cc, clusterv1.ClusterClassRefVersionsUpToDateCondition)
		if reconciled && variables != nil && refs != nil {
			if variables.Status != metav1.ConditionTrue || refs.Status != metav1.ConditionTrue {
				return fmt.Errorf("ClusterClass %s: VariablesReady %s (%s), RefVersionsUpToDate %s (%s)",
					key, variables.Status, variables.Message, refs.Status, refs.Message)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ClusterClass %s was not reconciled: %+v", key, cc.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startClusterClassReconciler runs Cluster API's ClusterClass reconciler against the test API server and
// returns a client that knows Cluster API's types.
func startClusterClassReconciler(ctx context.Context, t *testing.T) client.Client {
	t.Helper()
	for _, add := range []func(*runtime.Scheme) error{clusterv1.AddToScheme, bootstrapv1.AddToScheme, runtimev1.AddToScheme} {
		if err := add(env.Scheme); err != nil {
			t.Fatal(err)
		}
	}
	ctrl.SetLogger(logr.Discard())
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := controller.Options{SkipNameValidation: ptr.To(true)}
	if err := (&clusterclass.Reconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr, opts); err != nil {
		t.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("the ClusterClass reconciler's cache did not sync")
	}
	return mgr.GetClient()
}
