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

package kindcluster

import (
	"encoding/json"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	infrav1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/infrastructure/v1alpha1"
	kindnodev1alpha1 "github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// The SDK turns typed objects into composed resources by their kinds in its scheme.
func init() { //nolint:gochecknoinits // The SDK's scheme is a package variable filled at init.
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, kindnodev1alpha1.AddToScheme, infrav1alpha1.AddToScheme,
		clusterv1.AddToScheme, controlplanev1.AddToScheme, bootstrapv1.AddToScheme,
	} {
		utilruntime.Must(add(composed.Scheme))
	}
}

// desired is one composed resource a mode wants, by its name in the composition.
type desired struct {
	name  resource.Name
	obj   runtime.Object
	ready bool
}

// toDesired converts typed objects into the SDK's desired composed resources.
func toDesired(ds []desired) (map[resource.Name]*resource.DesiredComposed, error) {
	out := make(map[resource.Name]*resource.DesiredComposed, len(ds))
	for _, d := range ds {
		u, err := toComposed(d.obj)
		if err != nil {
			return nil, errors.Wrapf(err, "cannot convert composed resource %s", d.name)
		}
		r := resource.ReadyFalse
		if d.ready {
			r = resource.ReadyTrue
		}
		out[d.name] = &resource.DesiredComposed{Resource: u, Ready: r}
	}
	return out, nil
}

// toComposed converts a typed object into a composed resource that states only what the function means:
// Crossplane applies it with server-side apply, which takes every field present as an opinion. So the
// object goes through encoding/json, which leaves out zero numbers and strings under omitempty and empty
// structs under omitzero, and then loses its status (not the function's to ask for), a null creation
// timestamp and the empty objects our own API types write for empty structs under omitempty. Empty lists
// stay: an empty list of taints means "no taints".
func toComposed(o runtime.Object) (*composed.Unstructured, error) {
	gvks, _, err := composed.Scheme.ObjectKinds(o)
	if err != nil {
		return nil, err
	}
	o = o.DeepCopyObject()
	o.GetObjectKind().SetGroupVersionKind(gvks[0])
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	obj := map[string]any{}
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	delete(obj, "status")
	if m, ok := obj["metadata"].(map[string]any); ok && m["creationTimestamp"] == nil {
		delete(m, "creationTimestamp")
	}
	pruneEmptyObjects(obj)
	return &composed.Unstructured{Unstructured: unstructured.Unstructured{Object: obj}}, nil
}

// pruneEmptyObjects removes keys whose values are empty objects, after pruning those values in turn.
func pruneEmptyObjects(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			pruneEmptyObjects(v)
			if len(v) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					pruneEmptyObjects(em)
				}
			}
		}
	}
}

// Observed is the observed composed resources of a KindCluster, by their names in the composition.
type Observed map[resource.Name]resource.ObservedComposed

// exists reports whether the composed resource has been created.
func (o Observed) exists(name resource.Name) bool {
	r, ok := o[name]
	return ok && r.Resource != nil && len(r.Resource.Object) > 0
}

// conditionTrue reports whether the composed resource has condition typ with status True.
func (o Observed) conditionTrue(name resource.Name, typ string) bool {
	status, _ := o.condition(name, typ)
	return status == string(corev1.ConditionTrue)
}

// condition returns the status and message of the composed resource's condition typ; empty when it has none.
// Crossplane's managed resources, Cluster API's and this provider's objects all keep conditions in
// status.conditions.
func (o Observed) condition(name resource.Name, typ string) (status, message string) {
	if !o.exists(name) {
		return "", ""
	}
	var conds []struct {
		Type    string `json:"type"`
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := o[name].Resource.GetValueInto("status.conditions", &conds); err != nil {
		return "", ""
	}
	for _, c := range conds {
		if c.Type == typ {
			return c.Status, c.Message
		}
	}
	return "", ""
}

// into decodes a field of a composed resource; missing fields leave out unchanged.
func (o Observed) into(name resource.Name, path string, out any) {
	if o.exists(name) {
		_ = o[name].Resource.GetValueInto(path, out)
	}
}

// decode converts a composed resource into a typed object.
func (o Observed) decode(name resource.Name, into runtime.Object) error {
	return errors.Wrapf(runtime.DefaultUnstructuredConverter.FromUnstructured(o[name].Resource.Object, into),
		"cannot read composed resource %s", name)
}
