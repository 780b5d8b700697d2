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

package testenv

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
)

// ClusterAPICRDs returns the directories of Cluster API's core, kubeadm bootstrap and kubeadm control-plane
// CRDs, from the cluster-api module the provider builds against, plus the provider's own Cluster API CRDs.
func ClusterAPICRDs() ([]string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/cluster-api")
	cmd.Dir = RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot locate the sigs.k8s.io/cluster-api module: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return nil, fmt.Errorf("cannot locate the sigs.k8s.io/cluster-api module in %q: %v", out, err)
	}
	return []string{
		filepath.Join(mod.Dir, "core", "config", "crd", "bases"),
		filepath.Join(mod.Dir, "bootstrap", "kubeadm", "config", "crd", "bases"),
		filepath.Join(mod.Dir, "controlplane", "kubeadm", "config", "crd", "bases"),
		filepath.Join(RepoRoot(), "config", "crd", "bases"),
	}, nil
}
