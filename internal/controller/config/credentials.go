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

package config

import (
	"context"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/clients"
)

// credentialsRecheck is how often the credentials of a config that reads them from a Secret are checked
// again: nothing watches Secrets (the provider does not cache them), so a Secret that is rotated, broken or
// deleted shows within this.
const credentialsRecheck = time.Minute

const errWriteReady = "cannot write the config's Ready condition"

// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigs/status;clusterproviderconfigs/status,verbs=patch

// checkingCredentials reconciles a config as inner does, then says in its Ready condition whether its
// credentials can be used: their Secret is there and holds a kubeconfig. The managed resources that use a
// config whose credentials cannot be used say so too, in their Synced condition.
type checkingCredentials struct {
	inner     reconcile.Reconciler
	kube      client.Client
	newConfig func() resource.ProviderConfig
}

func (c checkingCredentials) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := c.inner.Reconcile(ctx, req)
	if err != nil {
		return res, err
	}
	pc := c.newConfig()
	if err := c.kube.Get(ctx, req.NamespacedName, pc); err != nil {
		return res, client.IgnoreNotFound(err)
	}
	cd, ok := clients.ConfigCredentials(pc)
	if !ok || meta.WasDeleted(pc) {
		return res, nil
	}
	cond := xpv2.Available()
	if err := clients.CheckCredentials(ctx, c.kube, cd); err != nil {
		cond = xpv2.Unavailable().WithMessage(err.Error())
	}
	if cd.Source == xpv2.CredentialsSourceSecret && (res.RequeueAfter == 0 || res.RequeueAfter > credentialsRecheck) {
		res.RequeueAfter = credentialsRecheck
	}
	if pc.GetCondition(xpv2.TypeReady).Equal(cond) {
		return res, nil
	}
	orig, ok := pc.DeepCopyObject().(client.Object)
	if !ok {
		return res, errors.New(errWriteReady)
	}
	pc.SetConditions(cond)
	// Only the condition: the user count inner wrote may be newer than what the cache gave.
	return res, errors.Wrap(c.kube.Status().Patch(ctx, pc, client.MergeFrom(orig)), errWriteReady)
}
