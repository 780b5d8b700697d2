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

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const (
	errTrackPCUsage = "cannot track ProviderConfig usage"
	errConnect      = "cannot connect to the outer cluster"
)

// +kubebuilder:rbac:groups=kindnode.dev,resources=providerconfigusages,verbs=get;create;update
// +kubebuilder:rbac:groups=kindnode.dev,resources=nodepods/finalizers;nodeservices/finalizers,verbs=update

// Connect resolves the provider config of mg, records that mg uses it, and returns the outer cluster it
// names. It returns no cluster and no error for a managed resource that is being deleted, whose config does
// not resolve (an unknown kind, a config that does not exist) and that never created anything: it has
// nothing outside to clean up and must not keep its finalizer forever.
//
// The usage is a ProviderConfigUsage that mg controls, read and then created or updated; an owner reference
// that blocks its owner's deletion needs the owner's finalizers subresource.
func (r *Registry) Connect(ctx context.Context, kube client.Client, usage resource.ModernTracker, mg resource.ModernManaged) (*Cluster, error) {
	cd, err := Credentials(ctx, kube, mg.GetProviderConfigReference(), mg.GetNamespace())
	if err != nil {
		if meta.WasDeleted(mg) && neverCreated(mg) && (IsUnknownKind(err) || kerrors.IsNotFound(err)) {
			return nil, nil
		}
		return nil, err
	}
	// A managed resource being deleted needs no new record of its use: the config waits for it anyway
	// (internal/controller/config), and in a namespace being deleted no new usage can be created.
	if !meta.WasDeleted(mg) {
		if err := usage.Track(ctx, mg); err != nil {
			return nil, errors.Wrap(err, errTrackPCUsage)
		}
	}
	c, err := r.ForCredentials(ctx, kube, cd)
	return c, errors.Wrap(err, errConnect)
}

// neverCreated reports whether the managed reconciler never tried to create mg's external resource.
func neverCreated(mg resource.Managed) bool {
	return meta.GetExternalCreateSucceeded(mg).IsZero() && meta.GetExternalCreatePending(mg).IsZero()
}

// Nothing is the external client of a managed resource that has nothing in any outer cluster.
type Nothing[T resource.Managed] struct{}

// Observe reports that nothing exists.
func (Nothing[T]) Observe(context.Context, T) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: false}, nil
}

// Create does nothing.
func (Nothing[T]) Create(context.Context, T) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, nil
}

// Update does nothing.
func (Nothing[T]) Update(context.Context, T) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, nil
}

// Delete does nothing.
func (Nothing[T]) Delete(context.Context, T) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing.
func (Nothing[T]) Disconnect(context.Context) error { return nil }
