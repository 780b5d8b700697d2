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

package kindnode

import (
	"maps"

	v1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// Labels and annotations the engine puts on the outer objects it builds.
const (
	// LabelClusterName names the inner cluster an outer object belongs to; Cluster API's own key, so that
	// clusterctl and CAPI tooling recognise the objects.
	LabelClusterName = "cluster.x-k8s.io/cluster-name"

	// LabelRole is the role of a node Pod in its inner cluster: RoleControlPlane or RoleWorker.
	LabelRole = "kindnode.dev/role"

	// LabelManaged marks every object the provider manages; the provider's informers select on it so that
	// they cache nothing else of the outer cluster.
	LabelManaged = "kindnode.dev/managed"

	// LabelOwnerKind is the kind of the managed resource an outer object belongs to, e.g. NodePod.
	LabelOwnerKind = "kindnode.dev/owner-kind"

	// LabelOwnerName is the name of the managed resource an outer object belongs to.
	LabelOwnerName = "kindnode.dev/owner-name"

	// LabelOwnerNamespace is the namespace of the managed resource an outer object belongs to.
	LabelOwnerNamespace = "kindnode.dev/owner-namespace"

	// AnnotationSpecHash is SpecHash of the Pod spec a node Pod was created from, as forProvider asked for it
	// (without the engine's scheduling defaults).
	AnnotationSpecHash = "kindnode.dev/spec-hash"
)

// Values of the labels above.
const (
	// LabelManagedValue is the value of LabelManaged.
	LabelManagedValue = "true"

	// RoleControlPlane is the LabelRole value of control-plane node Pods; the endpoint Service selects it.
	RoleControlPlane = "control-plane"

	// RoleWorker is the LabelRole value of worker node Pods.
	RoleWorker = "worker"
)

// Owner is the managed resource an outer object belongs to. It is recorded in labels rather than owner
// references because the outer object may live in another cluster, where owner references cannot point.
type Owner struct {
	Kind      string
	Name      string
	Namespace string
}

// OwnerLabels returns the labels that record o on an outer object.
func OwnerLabels(o Owner) map[string]string {
	return map[string]string{
		LabelOwnerKind:      o.Kind,
		LabelOwnerName:      o.Name,
		LabelOwnerNamespace: o.Namespace,
	}
}

// OwnerFromLabels reads the Owner recorded by OwnerLabels; ok is false when l records no owner.
func OwnerFromLabels(l map[string]string) (o Owner, ok bool) {
	o = Owner{Kind: l[LabelOwnerKind], Name: l[LabelOwnerName], Namespace: l[LabelOwnerNamespace]}
	// The namespace may legitimately be empty (a cluster-scoped owner); kind and name may not.
	if o.Kind == "" || o.Name == "" {
		return Owner{}, false
	}
	return o, true
}

// roleValue is the LabelRole value of a node role; no role means a worker, as the API defaults it.
func roleValue(r v1alpha1.NodeRole) string {
	if r == v1alpha1.NodeRoleControlPlane {
		return RoleControlPlane
	}
	return RoleWorker
}

// commonLabels are the labels the engine sets on every object that belongs to an inner cluster.
func commonLabels(cluster string, o Owner) map[string]string {
	l := OwnerLabels(o)
	l[LabelClusterName] = cluster
	l[LabelManaged] = LabelManagedValue
	return l
}

// withOurs returns user's entries overlaid with ours; ours win because selectors and ownership depend on
// them.
func withOurs(user, ours map[string]string) map[string]string {
	out := make(map[string]string, len(user)+len(ours))
	maps.Copy(out, user)
	maps.Copy(out, ours)
	return out
}
