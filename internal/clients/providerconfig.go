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

package clients

import (
	"context"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
)

const (
	errNoRef         = "spec.providerConfigRef is not set"
	errGetPC         = "cannot get ProviderConfig"
	errGetCPC        = "cannot get ClusterProviderConfig"
	errGetCreds      = "cannot get the kubeconfig from the credentials Secret"
	errUnknownSource = "credentials source %q is not supported; use Secret or InjectedIdentity"
)

// UnknownKindError says that a providerConfigRef names a kind this provider does not serve.
type UnknownKindError struct{ Kind string }

func (e UnknownKindError) Error() string {
	return "providerConfigRef.kind " + `"` + e.Kind + `"` + " is not supported; use ProviderConfig or ClusterProviderConfig"
}

// IsUnknownKind reports whether err comes from a providerConfigRef of an unsupported kind.
func IsUnknownKind(err error) bool {
	var u UnknownKindError
	return errors.As(err, &u)
}

// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigs;clusterproviderconfigs,verbs=get;list;watch

// Credentials returns the credentials a providerConfigRef of a managed resource in namespace points at.
func Credentials(ctx context.Context, kube client.Client, ref *xpv2.ProviderConfigReference, namespace string) (v1alpha1.ProviderCredentials, error) {
	if ref == nil {
		return v1alpha1.ProviderCredentials{}, errors.New(errNoRef)
	}
	switch ref.Kind {
	case v1alpha1.ProviderConfigKind:
		pc := &v1alpha1.ProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, pc); err != nil {
			return v1alpha1.ProviderCredentials{}, errors.Wrap(err, errGetPC)
		}
		return namespacedCredentials(pc), nil
	case v1alpha1.ClusterProviderConfigKind:
		cpc := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: ref.Name}, cpc); err != nil {
			return v1alpha1.ProviderCredentials{}, errors.Wrap(err, errGetCPC)
		}
		return cpc.Spec.Credentials, nil
	default:
		return v1alpha1.ProviderCredentials{}, UnknownKindError{Kind: ref.Kind}
	}
}

// namespacedCredentials are the credentials of a namespaced ProviderConfig. It may only use Secrets of its own
// namespace, whatever its secretRef says: otherwise anyone who can create one could read any kubeconfig in the
// cluster.
func namespacedCredentials(pc *v1alpha1.ProviderConfig) v1alpha1.ProviderCredentials {
	cd := pc.Spec.Credentials
	if cd.SecretRef != nil {
		ref := *cd.SecretRef
		ref.Namespace = pc.GetNamespace()
		cd.SecretRef = &ref
	}
	return cd
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// ForCredentials returns the outer cluster the credentials reach. The kubeconfig Secret of Secret
// credentials is read from the API server at each call: the manager's client does not cache Secrets (see
// controller.ClientOptions).
func (r *Registry) ForCredentials(ctx context.Context, kube client.Client, cd v1alpha1.ProviderCredentials) (*Cluster, error) {
	switch cd.Source {
	case xpv2.CredentialsSourceInjectedIdentity:
		return r.InjectedIdentity(ctx)
	case xpv2.CredentialsSourceSecret:
		data, err := resource.CommonCredentialExtractor(ctx, cd.Source, kube, cd.CommonCredentialSelectors)
		if err != nil {
			return nil, errors.Wrap(err, errGetCreds)
		}
		return r.Kubeconfig(ctx, data)
	default:
		return nil, errors.Errorf(errUnknownSource, cd.Source)
	}
}
