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
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testenv"
)

// cachePackage builds the package rooted at package/<root> with `crossplane xpkg build`, as make
// xpkg-function and make xpkg-configuration do, and puts its package.yaml into Crossplane's package cache
// (--xpkg-cache-dir) under source@digest, where Crossplane's package manager looks before it would pull that
// reference from a registry, none being reachable. It returns the reference to install.
//
// The digest is the built image's config digest, which identifies its content; with a digest reference
// and a cache hit Crossplane pulls nothing and so has nothing to verify it against.
func cachePackage(cli, workDir, cacheDir, root, source string) (string, error) {
	xpkgFile := filepath.Join(workDir, root+".xpkg")
	cmd := exec.Command(cli, "xpkg", "build", "--package-root=package/"+root, "--examples-root=examples/kindcluster", "--package-file="+xpkgFile) //nolint:gosec // The CLI the test built.
	cmd.Dir = testenv.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("crossplane xpkg build --package-root=package/%s: %w\n%s", root, err, b)
	}
	digest, stream, err := packageYAML(xpkgFile)
	if err != nil {
		return "", fmt.Errorf("%s: %w", xpkgFile, err)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(cacheDir, cacheID(source, digest)+".gz")) //nolint:gosec // The test's own temporary directory.
	if err != nil {
		return "", err
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(stream); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return source + "@" + digest, f.Close()
}

// packageYAML returns the config digest of an .xpkg file (an image tarball as `crossplane xpkg build`
// writes it) and the package.yaml of its layers.
func packageYAML(xpkgFile string) (digest string, stream []byte, err error) {
	files, err := untar(xpkgFile)
	if err != nil {
		return "", nil, err
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		return "", nil, fmt.Errorf("no single image in manifest.json: %v", err)
	}
	for _, l := range manifest[0].Layers {
		zr, err := gzip.NewReader(strings.NewReader(string(files[l])))
		if err != nil {
			return "", nil, fmt.Errorf("layer %s: %w", l, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", nil, fmt.Errorf("layer %s: %w", l, err)
			}
			if path.Base(h.Name) == "package.yaml" {
				b, err := io.ReadAll(tr)
				return manifest[0].Config, b, err
			}
		}
	}
	return "", nil, errors.New("no package.yaml in any layer")
}

// untar reads all regular files of a tar file.
func untar(name string) (map[string][]byte, error) {
	f, err := os.Open(name) //nolint:gosec // A file the test wrote.
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // Only read.
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if files[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
}

// cacheID is the name Crossplane's package cache gives a package (crossplane-runtime's xpkg.FriendlyID of
// the source and the digest): a DNS label of at most 50 characters of the source and 12 of the digest.
func cacheID(source, digest string) string {
	trunc := func(s string, n int) string { return s[:min(len(s), n)] }
	s := trunc(source, 50) + "-" + trunc(digest, 12)
	var b strings.Builder
	for i := range s {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			b.WriteByte(c)
		}
		if strings.IndexByte("./:-", c) >= 0 && i != 0 && i != 62 && i != len(s)-1 {
			b.WriteByte('-')
		}
		if i == 62 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
