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
	"fmt"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
)

// ConfigCredentials returns the credentials of a ProviderConfig or ClusterProviderConfig, as its managed
// resources use them; false for another kind.
func ConfigCredentials(pc client.Object) (v1alpha1.ProviderCredentials, bool) {
	switch c := pc.(type) {
	case *v1alpha1.ProviderConfig:
		return namespacedCredentials(c), true
	case *v1alpha1.ClusterProviderConfig:
		return c.Spec.Credentials, true
	default:
		return v1alpha1.ProviderCredentials{}, false
	}
}

// CheckCredentials tells what is wrong with credentials before anything connects with them: a kubeconfig
// Secret that is missing, lacks its key, or holds no kubeconfig. It does not reach the outer cluster.
func CheckCredentials(ctx context.Context, kube client.Client, cd v1alpha1.ProviderCredentials) error {
	switch cd.Source {
	case xpv2.CredentialsSourceInjectedIdentity:
		return nil
	case xpv2.CredentialsSourceSecret:
	default:
		return errors.Errorf(errUnknownSource, cd.Source)
	}
	if cd.SecretRef == nil {
		return errors.New("credentials.secretRef is required when credentials.source is Secret")
	}
	name := fmt.Sprintf("%s/%s", cd.SecretRef.Namespace, cd.SecretRef.Name)
	data, err := resource.CommonCredentialExtractor(ctx, cd.Source, kube, cd.CommonCredentialSelectors)
	if err != nil {
		return errors.Wrapf(err, "cannot read the kubeconfig Secret %s", name)
	}
	if len(data) == 0 {
		return errors.Errorf("the kubeconfig Secret %s has no key %q, or it is empty", name, cd.SecretRef.Key)
	}
	if _, err := clientcmd.RESTConfigFromKubeConfig(data); err != nil {
		return errors.Wrapf(err, "key %q of Secret %s is not a usable kubeconfig", cd.SecretRef.Key, name)
	}
	return nil
}
