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
package kubernetescluster

import (
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	infrav1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	apisv1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

func TestCredentials(t *testing.T) {
	secret := func(name, key string) apisv1alpha1.ProviderCredentials {
		return apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: "ns", Name: name}, Key: key,
			}},
		}
	}
	cases := map[string]struct {
		reason string
		ref    *infrav1.KubeconfigSecretReference
		want   apisv1alpha1.ProviderCredentials
	}{
		"ManagementCluster": {
			reason: "Without infraClusterSecretRef the node Pods run in the management cluster, with the provider's own identity.",
			want:   apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceInjectedIdentity},
		},
		"SecretDefaultKey": {
			reason: "A Secret named without a key is read at its kubeconfig key, in the KubernetesCluster's namespace.",
			ref:    &infrav1.KubeconfigSecretReference{Name: "outer"},
			want:   secret("outer", "kubeconfig"),
		},
		"SecretKey": {
			reason: "A Secret's key is read as named.",
			ref:    &infrav1.KubeconfigSecretReference{Name: "outer", Key: "value"},
			want:   secret("outer", "value"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kc := &infrav1.KubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c"}}
			kc.Spec.InfraClusterSecretRef = tc.ref
			if diff := cmp.Diff(tc.want, credentials(kc)); diff != "" {
				t.Errorf("\n%s\ncredentials(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDiscovered(t *testing.T) {
	cases := map[string]struct {
		reason string
		zones  []clients.Zone
		want   []clusterv1.FailureDomain
		off    []string
	}{
		"SomeZonesUnschedulable": {
			reason: "Every zone should be a failure domain, for control planes only where one of its Nodes can take a node Pod.",
			zones:  []clients.Zone{{Name: "a", Schedulable: true}, {Name: "b"}},
			want:   []clusterv1.FailureDomain{{Name: "a", ControlPlane: ptr.To(true)}, {Name: "b", ControlPlane: ptr.To(false)}},
			off:    []string{"b"},
		},
		"NoZones": {
			reason: "An outer cluster without zones should publish no failure domains.",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, discovered(tc.zones)); diff != "" {
				t.Errorf("\n%s\ndiscovered(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.off, unschedulable(tc.zones)); diff != "" {
				t.Errorf("\n%s\nunschedulable(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
