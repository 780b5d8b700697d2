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

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterctlv1 "sigs.k8s.io/cluster-api/cmd/clusterctl/api/v1alpha3"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// DeleteManaged deletes the managed resource that realises owner, and reports whether it is gone. Its own
// deletion event brings the owner's controller back once it is, so nothing needs a requeue. When clusterctl
// move deletes owner after copying it to another management cluster, the managed resource is told to leave
// what it manages in place: the copy takes it over.
func DeleteManaged(ctx context.Context, c client.Client, owner metav1.Object, mr resource.ModernManaged) (gone bool, err error) {
	if err := c.Get(ctx, client.ObjectKeyFromObject(mr), mr); err != nil {
		return kerrors.IsNotFound(err), client.IgnoreNotFound(err)
	}
	if !mr.GetDeletionTimestamp().IsZero() {
		return false, nil
	}
	if _, moving := owner.GetAnnotations()[clusterctlv1.DeleteForMoveAnnotation]; moving {
		mr.SetManagementPolicies(kindnodev1alpha1.OrphanManagementPolicies)
		if err := c.Update(ctx, mr); err != nil {
			return false, err
		}
	}
	return false, client.IgnoreNotFound(c.Delete(ctx, mr))
}
