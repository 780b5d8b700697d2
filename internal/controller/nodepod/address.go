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

package nodepod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errBuildAddress      = "cannot build the node's address Service"
	errCreateAddress     = "cannot create the node's address Service"
	errGetAddress        = "cannot get the node's address Service"
	errDeleteAddress     = "cannot delete the node's address Service"
	errFmtForeignAddress = "a Service named %s/%s exists in the outer cluster but does not belong to this NodePod; rename the NodePod or remove that Service"
	errFmtNoAddress      = "waiting for the node's address Service %s/%s and its ClusterIP (a Service of that name without this NodePod's labels is not used)"
	errFmtNoPodIP        = "the node Pod %s/%s has no IP yet"
)

// +kubebuilder:rbac:groups="",resources=services,verbs=get;create;delete

// ensureAddress creates the address Service of a node with a persistent identity, before its Pod, so that
// the address is known when the node bootstraps. The node's deletion deletes it, and its address is read
// from it.
func (e *external) ensureAddress(ctx context.Context, n kindnode.Node) error {
	if !kindnode.PersistentIdentity(n.Params) {
		return nil
	}
	svc, err := kindnode.BuildAddressService(n)
	if err != nil {
		return errors.Wrap(err, errBuildAddress)
	}
	err = e.outer.Client.Create(ctx, svc)
	return errors.Wrap(resource.Ignore(kerrors.IsAlreadyExists, err), errCreateAddress)
}

// localAddress is the address the node advertises, {{ ds.meta_data.local_ipv4 }} to its bootstrap data: the
// ClusterIP of its address Service when it has a persistent identity, else its Pod IP.
func (e *external) localAddress(ctx context.Context, n kindnode.Node, pod *corev1.Pod) (string, error) {
	if !kindnode.PersistentIdentity(n.Params) {
		if pod.Status.PodIP == "" {
			return "", errors.Errorf(errFmtNoPodIP, pod.Namespace, pod.Name)
		}
		return pod.Status.PodIP, nil
	}
	svc, err := e.address(ctx, n)
	if err != nil {
		return "", err
	}
	if svc == nil || svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return "", errors.Errorf(errFmtNoAddress, n.Namespace, kindnode.AddressServiceName(n.Name))
	}
	return svc.Spec.ClusterIP, nil
}

// deleteAddress deletes the node's address Service, if it has one.
func (e *external) deleteAddress(ctx context.Context, n kindnode.Node) error {
	svc, err := e.address(ctx, n)
	if err != nil || svc == nil {
		return err
	}
	err = e.outer.Client.Delete(ctx, svc, client.Preconditions{UID: &svc.UID})
	return errors.Wrap(resource.Ignore(kerrors.IsNotFound, err), errDeleteAddress)
}

// address returns the node's address Service, nil when there is none; a Service of that name that the node
// does not own is an error.
func (e *external) address(ctx context.Context, n kindnode.Node) (*corev1.Service, error) {
	svc := &corev1.Service{}
	name := kindnode.AddressServiceName(n.Name)
	if err := e.outer.Client.Get(ctx, types.NamespacedName{Namespace: n.Namespace, Name: name}, svc); err != nil {
		return nil, errors.Wrap(resource.Ignore(kerrors.IsNotFound, err), errGetAddress)
	}
	if o, ok := kindnode.OwnerFromLabels(svc.GetLabels()); !ok || o != n.Owner {
		return nil, errors.Errorf(errFmtForeignAddress, n.Namespace, name)
	}
	return svc, nil
}
