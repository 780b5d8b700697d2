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

package bench

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// unrelatedNamespace holds Config.Unrelated's Secrets and ConfigMaps.
const unrelatedNamespace = "unrelated"

// UnrelatedSize is the data of each unrelated Secret and ConfigMap, in bytes: the objects of a management
// cluster's other tenants, whose certificates, kubeconfigs and configuration files are of that size.
const UnrelatedSize = 8 << 10

// unrelated creates Config.Unrelated Secrets and as many ConfigMaps, UnrelatedSize bytes of data each, in a
// namespace of their own, and returns how many bytes of data they hold. None of them is the provider's
// business; a provider that cached Secrets or ConfigMaps cluster-wide would hold them all in its memory from
// its first read of one (controller-runtime's default client starts an informer on the kind then).
func (ph *phases) unrelated(ctx context.Context) (int64, error) {
	n := ph.cfg.Unrelated
	if err := ph.oc.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: unrelatedNamespace}}); err != nil {
		return 0, err
	}
	ph.logf("unrelated: creating %d Secrets and %d ConfigMaps of %d KiB each", n, n, UnrelatedSize>>10)
	data := strings.Repeat("x", UnrelatedSize)
	err := parallel(ph.cfg.Parallelism, n, func(i int) error {
		meta := metav1.ObjectMeta{Namespace: unrelatedNamespace, Name: fmt.Sprintf("unrelated-%05d", i)}
		if err := ph.oc.kube.Create(ctx, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"data": data}}); err != nil {
			return err
		}
		return ph.oc.kube.Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"data": data}})
	})
	if err != nil {
		return 0, fmt.Errorf("unrelated: %w", err)
	}
	return int64(2 * n * UnrelatedSize), nil
}
