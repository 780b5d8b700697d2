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
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/v1alpha1"
)

const (
	errListPCs  = "cannot list ProviderConfigs"
	errListCPCs = "cannot list ClusterProviderConfigs"
)

// Sweep closes the connections no ProviderConfig or ClusterProviderConfig leads to any more: their kubeconfig
// changed (a rotated token, another cluster) or went away. A managed resource connects with its config's
// credentials as they are at each reconcile, so it moves to the new connection by itself; the old one's
// informers would otherwise run, and watch, until the provider restarts. The connection of the provider's
// own identity is always kept. A Secret that cannot be read for another reason than its absence stops the
// sweep: a passing API error must not cut live connections.
func (r *Registry) Sweep(ctx context.Context, kube client.Client) (closed int, err error) {
	var creds []v1alpha1.ProviderCredentials
	pcs := &v1alpha1.ProviderConfigList{}
	if err := kube.List(ctx, pcs); err != nil {
		return 0, errors.Wrap(err, errListPCs)
	}
	for i := range pcs.Items {
		creds = append(creds, namespacedCredentials(&pcs.Items[i]))
	}
	cpcs := &v1alpha1.ClusterProviderConfigList{}
	if err := kube.List(ctx, cpcs); err != nil {
		return 0, errors.Wrap(err, errListCPCs)
	}
	for _, cpc := range cpcs.Items {
		creds = append(creds, cpc.Spec.Credentials)
	}

	keep := map[string]bool{injectedKey: true}
	for _, cd := range creds {
		if cd.Source != xpv2.CredentialsSourceSecret || cd.SecretRef == nil {
			continue
		}
		data, err := resource.CommonCredentialExtractor(ctx, cd.Source, kube, cd.CommonCredentialSelectors)
		switch {
		case kerrors.IsNotFound(err):
			continue
		case err != nil:
			return 0, errors.Wrap(err, errGetCreds)
		}
		keep[kubeconfigKey(data)] = true
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for k, c := range r.clusters {
		if keep[k] {
			continue
		}
		c.cancel()
		delete(r.clusters, k)
		for o, wc := range r.zoneWatchers {
			if wc == c {
				delete(r.zoneWatchers, o)
			}
		}
		closed++
	}
	return closed, nil
}

// Sweeper sweeps the registry (Sweep) every interval while the manager runs.
func (r *Registry) Sweeper(kube client.Client, every time.Duration) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		log := ctrl.Log.WithName("outer-clusters")
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			n, err := r.Sweep(ctx, kube)
			if err != nil {
				log.Info("Cannot tell which outer cluster connections are still used; keeping them all", "error", err.Error())
				continue
			}
			if n > 0 {
				log.Info("Closed the connections to outer clusters no provider config leads to any more", "closed", n)
			}
		}
	})
}
