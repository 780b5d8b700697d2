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
// An entry is the package's package.yaml stream, gzipped, in <ID>.gz, where ID is crossplane-runtime's
// xpkg.FriendlyID of the source and digest. This package reimplements that ID rather than import
// crossplane-runtime's xpkg package, which would bring registry, signing and attestation libraries into
// the provider's module.
package xpkgcache

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
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

// FileName is the name of the entry's file in the cache directory.
func (e Entry) FileName() string { return ID(e.Source, e.Digest) + ".gz" }

// Write gzips the entry's package.yaml into dir (created if missing) and returns the file's path.
func (e Entry) Write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(e.PackageYAML); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	p := filepath.Join(dir, e.FileName())
	return p, os.WriteFile(p, b.Bytes(), 0o600)
}

// FromFile reads an .xpkg file (the image tarball `crossplane xpkg build` writes) as the entry of source.
func FromFile(xpkgFile, source string) (Entry, error) {
	f, err := os.Open(xpkgFile) //nolint:gosec // The caller's package file.
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	digest, stream, err := Read(f)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", xpkgFile, err)
	}
	return Entry{Source: source, Digest: digest, PackageYAML: stream}, nil
}

// Read returns the config digest of an image tarball with a single image and the package.yaml found in
// its layers.
func Read(r io.Reader) (digest string, stream []byte, err error) {
	files, err := untar(r)
	if err != nil {
		return "", nil, err
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		return "", nil, fmt.Errorf("cannot read manifest.json: %w", err)
	}
	if len(manifest) != 1 {
		return "", nil, fmt.Errorf("manifest.json names %d images, want 1", len(manifest))
	}
	// The config's file name is its digest: "sha256:<hex>" or, in an OCI layout, "blobs/sha256/<hex>".
	config := manifest[0].Config
	if algo, hex, ok := strings.Cut(strings.TrimPrefix(config, "blobs/"), "/"); ok {
		config = algo + ":" + hex
	}
	if !strings.HasPrefix(config, "sha256:") {
		return "", nil, fmt.Errorf("config %q is not named by its sha256 digest", manifest[0].Config)
	}
	for _, l := range manifest[0].Layers {
		b, ok := files[l]
		if !ok {
			return "", nil, fmt.Errorf("layer %s is not in the tarball", l)
		}
		stream, found, err := packageYAML(b)
		if err != nil {
			return "", nil, fmt.Errorf("layer %s: %w", l, err)
		}
		if found {
			return config, stream, nil
		}
	}
	return "", nil, errors.New("no package.yaml in any layer")
}

// packageYAML returns the package.yaml of a layer, gzipped or not.
func packageYAML(layer []byte) ([]byte, bool, error) {
	var r io.Reader = bytes.NewReader(layer)
	if len(layer) > 2 && layer[0] == 0x1f && layer[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, false, err
		}
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if path.Base(h.Name) == "package.yaml" {
			b, err := io.ReadAll(tr)
			return b, err == nil, err
		}
	}
}

// untar reads all regular files of a tar stream.
func untar(r io.Reader) (map[string][]byte, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(r)
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

// ID is the name Crossplane's package cache gives a package: crossplane-runtime's xpkg.FriendlyID of the
// source and the digest, a DNS label of at most 50 characters of the source and 12 of the digest.
func ID(source, digest string) string {
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
