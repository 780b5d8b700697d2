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
	"encoding/json"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnnotationManagedMetadata lists the label and annotation keys the provider set on an outer object last
// time, so that a key removed from forProvider is removed from the object too, while keys other controllers
// add are left alone.
const AnnotationManagedMetadata = "kindnode.dev/managed-metadata"

// managedKeys is the record kept in AnnotationManagedMetadata.
type managedKeys struct {
	Labels      []string `json:"labels,omitempty"`
	Annotations []string `json:"annotations,omitempty"`
}

// RecordManagedMetadata notes the desired object's own label and annotation keys on it, in
// AnnotationManagedMetadata. Call it on an object before creating it.
func RecordManagedMetadata(desired metav1.Object) {
	rec := managedKeys{Labels: sortedKeys(desired.GetLabels()), Annotations: sortedKeys(desired.GetAnnotations())}
	b, _ := json.Marshal(rec) //nolint:errchkjson // Marshalling string slices cannot fail.
	a := desired.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[AnnotationManagedMetadata] = string(b)
	desired.SetAnnotations(a)
}

// MetadataPatch returns a JSON merge patch that brings current's labels and annotations to desired's: keys
// desired has are set, keys the provider set before but desired no longer has are removed, other keys are
// kept. desired must have been through RecordManagedMetadata. ok is false when nothing needs to change.
func MetadataPatch(current, desired metav1.Object) (patch []byte, ok bool) {
	var prev managedKeys
	_ = json.Unmarshal([]byte(current.GetAnnotations()[AnnotationManagedMetadata]), &prev)

	labels := diff(current.GetLabels(), desired.GetLabels(), prev.Labels)
	annotations := diff(current.GetAnnotations(), desired.GetAnnotations(), prev.Annotations)
	if len(labels) == 0 && len(annotations) == 0 {
		return nil, false
	}
	meta := map[string]any{}
	if len(labels) > 0 {
		meta["labels"] = labels
	}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	b, _ := json.Marshal(map[string]any{"metadata": meta}) //nolint:errchkjson // Plain maps cannot fail.
	return b, true
}

// diff returns the merge-patch entries (nil means delete) that turn current into desired for the keys the
// provider owns.
func diff(current, desired map[string]string, previouslyManaged []string) map[string]any {
	out := map[string]any{}
	for k, v := range desired {
		if cv, ok := current[k]; !ok || cv != v {
			out[k] = v
		}
	}
	for _, k := range previouslyManaged {
		if _, still := desired[k]; still {
			continue
		}
		if _, present := current[k]; present {
			out[k] = nil
		}
	}
	return out
}

// MetadataUpToDate reports whether current carries desired's labels and annotations and nothing the
// provider set before and no longer wants.
func MetadataUpToDate(current, desired metav1.Object) bool {
	_, changed := MetadataPatch(current, desired)
	return !changed
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		// The record itself is not a key the user asked for.
		if k == AnnotationManagedMetadata || strings.TrimSpace(k) == "" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
