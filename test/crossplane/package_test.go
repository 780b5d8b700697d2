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

package crossplane

import (
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
	"github.com/kindnode/cluster-api-provider-kubernetes/internal/xpkgcache"
)

// cachePackage builds the package rooted at package/<root> with `crossplane xpkg build`, as make
// xpkg-function and make xpkg-configuration do, and puts it into Crossplane's package cache
// (--xpkg-cache-dir; internal/xpkgcache), where Crossplane's package manager looks before it would pull
// that reference from a registry, none being reachable. It returns the reference to install.
func cachePackage(cli, workDir, cacheDir, root, source string) (string, error) {
	xpkgFile := filepath.Join(workDir, root+".xpkg")
	cmd := exec.Command(cli, "xpkg", "build", "--package-root=package/"+root, "--examples-root=examples/kindcluster", "--package-file="+xpkgFile)
	cmd.Dir = testenv.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("crossplane xpkg build --package-root=package/%s: %w\n%s", root, err, b)
	}
	e, err := xpkgcache.FromFile(xpkgFile, source)
	if err != nil {
		return "", err
	}
	if _, err := e.Write(cacheDir); err != nil {
		return "", err
	}
	return e.Reference(), nil
}
