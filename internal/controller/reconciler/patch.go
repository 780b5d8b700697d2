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
	"fmt"
	"reflect"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A StatusObject is an object with conditions in its status, such as a Cluster API infrastructure object.
type StatusObject interface {
	client.Object
	conditions.Setter
}

// PatchChanges writes what a reconcile changed of obj since it read it as before, in at most two requests:
// metadata and spec in one merge patch, then the whole status, conditions included, in one merge patch that
// fails with a conflict if obj was written by anyone since. Nothing is sent for a part that did not change.
//
// Cluster API's patch helper sends the conditions, the rest of the status and the spec apart, and bases
// them on the resource version the reconcile read: a reconcile that records a provider ID, provisioned and
// Ready costs it three writes, the new generation the spec write makes costs the next reconcile a fourth to
// record it in every condition, and the intermediate resource versions it never saw make a client that
// waits for its own writes (clients.ConsistentClient) take a stale read for a current one. Here the spec is
// written first, the conditions record the generation that write made, and each write starts from the
// resource version the previous one returned.
func PatchChanges(ctx context.Context, c client.Client, before, obj StatusObject) error {
	was, is, err := unstructuredPair(before, obj)
	if err != nil {
		return err
	}
	wasStatus, isStatus := was["status"], is["status"]
	delete(was, "status")
	delete(is, "status")
	if !reflect.DeepEqual(was, is) {
		data, err := client.MergeFrom(&unstructured.Unstructured{Object: was}).Data(&unstructured.Unstructured{Object: is})
		if err != nil {
			return err
		}
		written := obj.DeepCopyObject().(client.Object) //nolint:forcetypeassert // a copy of a client.Object is one.
		if err := c.Patch(ctx, written, client.RawPatch(types.MergePatchType, data)); err != nil {
			return fmt.Errorf("cannot patch the metadata and spec: %w", err)
		}
		if !written.GetDeletionTimestamp().IsZero() && len(written.GetFinalizers()) == 0 {
			// The last finalizer is gone, and with it the object.
			return nil
		}
		observed(obj, written.GetGeneration())
		obj.SetResourceVersion(written.GetResourceVersion())
		if isStatus, err = statusOf(obj); err != nil {
			return err
		}
	}
	if reflect.DeepEqual(wasStatus, isStatus) {
		return nil
	}
	data, err := client.MergeFrom(&unstructured.Unstructured{Object: map[string]any{"status": wasStatus}}).Data(
		&unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"resourceVersion": obj.GetResourceVersion()},
			"status":   isStatus,
		}})
	if err != nil {
		return err
	}
	err = c.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, data))
	if kerrors.IsNotFound(err) && !obj.GetDeletionTimestamp().IsZero() {
		// Deleted meanwhile: there is no status left to write.
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot patch the status: %w", err)
	}
	return nil
}

// observed moves the conditions that recorded obj's generation to generation, the one obj's spec now has:
// the reconcile that set them also made that spec.
func observed(obj StatusObject, generation int64) {
	if generation == obj.GetGeneration() {
		return
	}
	cs := obj.GetConditions()
	for i := range cs {
		if cs[i].ObservedGeneration == obj.GetGeneration() {
			cs[i].ObservedGeneration = generation
		}
	}
	obj.SetConditions(cs)
	obj.SetGeneration(generation)
}

func unstructuredPair(before, obj client.Object) (was, is map[string]any, err error) {
	if was, err = runtime.DefaultUnstructuredConverter.ToUnstructured(before); err != nil {
		return nil, nil, err
	}
	if is, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err != nil {
		return nil, nil, err
	}
	return was, is, nil
}

func statusOf(obj client.Object) (any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return m["status"], nil
}
