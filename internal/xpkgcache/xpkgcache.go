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

// Package xpkgcache puts Crossplane packages into Crossplane's package cache, for clusters that cannot
// reach a registry. Crossplane's package manager looks a package up in its cache (--xpkg-cache-dir, in
// Crossplane's Helm chart a volume that may be a ConfigMap: packageCache.configMap) under a name made from
// the package's source and digest before it would pull it; a package installed by digest reference whose
// entry is there is never pulled, so there is nothing to verify it against.
//
// The cache is crossplane-runtime's: Crossplane core v2.4.0 builds its package manager from
// crossplane-runtime v2's xpkg.NewFsPackageCache and xpkg.NewCachedClient, and this package calls the same
// code for the entry's name (xpkg.FriendlyID of the reference's source and digest), its file and its content
// (xpkg.ExtractPackageYAML of the image). What is ours is only which digest a package is filed under: the
// config digest of the image `crossplane xpkg build` wrote, since with no registry there is no manifest
// digest a pull could be checked against. The package is used by the e2e tool hack/e2e/xpkgcache and by
// tests; the provider and the function do not link it (nor go-containerregistry).
package xpkgcache

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/afero"
)

// Entry is one package as the cache holds it.
type Entry struct {
	// Source is the package's OCI repository, e.g. ghcr.io/kindnode/function-kindcluster.
	Source string
	// Digest identifies the package's content: the config digest of the image `crossplane xpkg build`
	// wrote.
	Digest string
	// PackageYAML is the package's package.yaml stream (its metadata, CRDs and other objects).
	PackageYAML []byte
}

// Reference is what to install: the source at the digest, e.g. in a Function's spec.package.
func (e Entry) Reference() string { return e.Source + "@" + e.Digest }

// ID is the name Crossplane's package manager looks the entry up under when it installs Reference: the
// cache key xpkg.CachedClient.Get derives from a digest reference.
func (e Entry) ID() (string, error) {
	ref, err := name.ParseReference(e.Reference())
	if err != nil {
		return "", fmt.Errorf("cannot parse package reference %s: %w", e.Reference(), err)
	}
	return xpkg.FriendlyID(xpkg.ParsePackageSourceFromReference(ref), ref.Identifier()), nil
}

// Write stores the entry's package.yaml in the package cache in dir (created if missing) and returns the
// path of the file it wrote.
func (e Entry) Write(dir string) (string, error) {
	id, err := e.ID()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	if err := xpkg.NewFsPackageCache(dir, afero.NewOsFs()).Store(id, io.NopCloser(bytes.NewReader(e.PackageYAML))); err != nil {
		return "", fmt.Errorf("cannot store %s in the package cache %s: %w", e.Reference(), dir, err)
	}
	// The cache appends its content extension, which crossplane-runtime does not export.
	return filepath.Join(dir, id+".gz"), nil
}

// FromFile reads an .xpkg file (the image tarball `crossplane xpkg build` writes) as the entry of source.
func FromFile(xpkgFile, source string) (Entry, error) {
	img, err := tarball.ImageFromPath(xpkgFile, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", xpkgFile, err)
	}
	digest, err := img.ConfigName()
	if err != nil {
		return Entry{}, fmt.Errorf("%s: cannot read the config digest: %w", xpkgFile, err)
	}
	rc, err := xpkg.ExtractPackageYAML(img)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", xpkgFile, err)
	}
	defer rc.Close()
	stream, err := io.ReadAll(rc)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: cannot read package.yaml: %w", xpkgFile, err)
	}
	return Entry{Source: source, Digest: digest.String(), PackageYAML: stream}, nil
}
