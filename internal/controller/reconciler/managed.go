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

package reconciler

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const (
	errAddFinalizer    = "cannot add the finalizer"
	errRemoveFinalizer = "cannot remove the finalizer"
	errAnnotations     = "cannot update the critical annotations"
)

// criticalAnnotations are the annotations the managed reconciler persists right after it creates or fails to
// create an external resource.
var criticalAnnotations = []string{
	meta.AnnotationKeyExternalName,
	meta.AnnotationKeyExternalCreatePending,
	meta.AnnotationKeyExternalCreateSucceeded,
	meta.AnnotationKeyExternalCreateFailed,
}

// DeterministicOptions are managed reconciler options for kinds whose external name is the managed resource's
// own name and whose external resource does not exist until Create: they write the managed resource half as
// often as crossplane-runtime's defaults and never with a resource version the cache may not have caught up
// with. Use them with an external connector wrapped by FinalizeOnCreate.
func DeterministicOptions(c client.Client) []managed.ReconcilerOption {
	return []managed.ReconcilerOption{
		managed.WithInitializers(NameAsExternalName{}),
		managed.WithFinalizer(NewPatchingFinalizer(c, managed.FinalizerName)),
		managed.WithCriticalAnnotationUpdater(NewPatchingCriticalAnnotationUpdater(c)),
		// Nothing is lost when a create's outcome was not recorded: the name finds the resource again.
		managed.WithDeterministicExternalName(true),
	}
}

// NameAsExternalName sets the external name to the managed resource's name, like crossplane-runtime's
// initializer of the same name, but without writing it: the first write of the managed resource, the one that
// records a pending create or adds the finalizer, persists it.
type NameAsExternalName struct{}

// Initialize sets mg's external name, unless it has one.
func (NameAsExternalName) Initialize(_ context.Context, mg resource.Managed) error {
	if meta.GetExternalName(mg) == "" {
		meta.SetExternalName(mg, mg.GetName())
	}
	return nil
}

// A PatchingFinalizer adds and removes a finalizer with patches. Removal is a JSON patch that tests the
// finalizer list's entry rather than the object's resource version: other changes to the object since it was
// read do not make it fail, so removing the finalizer of a managed resource whose status was just written
// costs no conflict and no requeue. Addition keeps the resource version check: a merge patch replaces the
// whole list.
type PatchingFinalizer struct {
	client    client.Client
	finalizer string
}

// NewPatchingFinalizer returns a PatchingFinalizer of finalizer.
func NewPatchingFinalizer(c client.Client, finalizer string) *PatchingFinalizer {
	return &PatchingFinalizer{client: c, finalizer: finalizer}
}

// A jsonPatchOp is one operation of a JSON patch (RFC 6902).
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value,omitempty"`
}

// AddFinalizer adds the finalizer to obj, unless it has it. Only obj's finalizers and resource version take
// the API server's answer: the managed reconciler adds the finalizer after Observe, and the status Observe
// found, not written yet, would otherwise give way to the stored one and be lost with the next status write.
func (f *PatchingFinalizer) AddFinalizer(ctx context.Context, obj resource.Object) error {
	if meta.FinalizerExists(obj, f.finalizer) {
		return nil
	}
	orig, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return errors.New(errAddFinalizer)
	}
	patched, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return errors.New(errAddFinalizer)
	}
	meta.AddFinalizer(patched, f.finalizer)
	if err := f.client.Patch(ctx, patched, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return errors.Wrap(err, errAddFinalizer)
	}
	obj.SetFinalizers(patched.GetFinalizers())
	obj.SetResourceVersion(patched.GetResourceVersion())
	return nil
}

// RemoveFinalizer removes the finalizer from obj, unless it does not have it.
func (f *PatchingFinalizer) RemoveFinalizer(ctx context.Context, obj resource.Object) error {
	i := slices.Index(obj.GetFinalizers(), f.finalizer)
	if i < 0 {
		return nil
	}
	path := "/metadata/finalizers/" + strconv.Itoa(i)
	b, err := json.Marshal([]jsonPatchOp{{Op: "test", Path: path, Value: f.finalizer}, {Op: "remove", Path: path}})
	if err != nil {
		return errors.Wrap(err, errRemoveFinalizer)
	}
	err = f.client.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, b))
	return errors.Wrap(resource.IgnoreNotFound(err), errRemoveFinalizer)
}

// A PatchingCriticalAnnotationUpdater persists the managed reconciler's critical annotations with a merge
// patch of just those, which unlike crossplane-runtime's update cannot conflict with a write the cache has
// not seen yet; and only when the external name is not the managed resource's own name. With deterministic
// external names nothing reads the outcome of a create it records: the reconciler proceeds regardless, and
// the pending-create annotation written before every Create tells that one was tried. Skipping the write
// spares a request per create and the reconcile its watch event would bring.
type PatchingCriticalAnnotationUpdater struct {
	client client.Client
}

// NewPatchingCriticalAnnotationUpdater returns a PatchingCriticalAnnotationUpdater.
func NewPatchingCriticalAnnotationUpdater(c client.Client) *PatchingCriticalAnnotationUpdater {
	return &PatchingCriticalAnnotationUpdater{client: c}
}

// UpdateCriticalAnnotations persists o's critical annotations, unless its external name is its name.
func (u *PatchingCriticalAnnotationUpdater) UpdateCriticalAnnotations(ctx context.Context, o client.Object) error {
	if meta.GetExternalName(o) == o.GetName() {
		return nil
	}
	a := map[string]string{}
	for _, k := range criticalAnnotations {
		if v, ok := o.GetAnnotations()[k]; ok {
			a[k] = v
		}
	}
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": a}})
	if err != nil {
		return errors.Wrap(err, errAnnotations)
	}
	return errors.Wrap(u.client.Patch(ctx, o, client.RawPatch(types.MergePatchType, b)), errAnnotations)
}

// FinalizeOnCreate wraps c so that a managed resource whose external resource does not exist carries the
// finalizer, in memory, once observed. The managed reconciler records a pending create before every Create
// with a write of the whole managed resource, which then persists the finalizer too, and its AddFinalizer has
// nothing left to write. A managed resource whose external resource exists gets the finalizer from
// AddFinalizer as before.
func FinalizeOnCreate[T resource.Managed](c managed.TypedExternalConnector[T], finalizer string) managed.TypedExternalConnector[T] {
	return managed.TypedExternalConnectorFn[T](func(ctx context.Context, mg T) (managed.TypedExternalClient[T], error) {
		ec, err := c.Connect(ctx, mg)
		if err != nil {
			return nil, err
		}
		return finalizeOnCreate[T]{TypedExternalClient: ec, finalizer: finalizer}, nil
	})
}

type finalizeOnCreate[T resource.Managed] struct {
	managed.TypedExternalClient[T]
	finalizer string
}

func (e finalizeOnCreate[T]) Observe(ctx context.Context, mg T) (managed.ExternalObservation, error) {
	o, err := e.TypedExternalClient.Observe(ctx, mg)
	if err == nil && !o.ResourceExists && !meta.WasDeleted(mg) {
		meta.AddFinalizer(mg, e.finalizer)
	}
	return o, err
}

// WithClient returns mgr with c as its client, for reconcilers that take their client from the manager.
func WithClient(mgr ctrl.Manager, c client.Client) ctrl.Manager {
	return managerWithClient{Manager: mgr, c: c}
}

type managerWithClient struct {
	ctrl.Manager
	c client.Client
}

func (m managerWithClient) GetClient() client.Client { return m.c }
