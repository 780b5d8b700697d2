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

package xpkgcache

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The wants are what crossplane-runtime v2's xpkg.FriendlyID returns for the same arguments.
func TestID(t *testing.T) {
	cases := map[string]struct {
		source, digest, want string
	}{
		"Function": {
			source: "ghcr.io/kindnode/function-kindcluster",
			digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			want:   "ghcr-io-kindnode-function-kindcluster-sha256-01234",
		},
		"Configuration": {
			source: "ghcr.io/kindnode/configuration-kindcluster",
			digest: "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
			want:   "ghcr-io-kindnode-configuration-kindcluster-sha256-fedcb",
		},
		"LongSourceIsTruncated": {
			source: "xpkg.example.com/a-very-long-organisation-name/with-an-even-longer-package-name",
			digest: "sha256:00aa11bb22cc33dd44ee55ff66778899aabbccddeeff00112233445566778899",
			want:   "xpkg-example-com-a-very-long-organisation-name-wit-sha256-00aa1",
		},
		"PortAndShortDigest": {
			source: "registry.local:5000/ns/pkg",
			digest: "sha256:abc",
			want:   "registry-local-5000-ns-pkg-sha256-abc",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ID(tc.source, tc.digest)); diff != "" {
				t.Errorf("ID(...): -want, +got:\n%s", diff)
			}
		})
	}
}

const pkgYAML = "apiVersion: meta.pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: f\n"

func TestRead(t *testing.T) {
	other := layer(t, true, map[string]string{"bin/function": "ELF"})
	pkg := layer(t, true, map[string]string{"package.yaml": pkgYAML})
	plain := layer(t, false, map[string]string{"package.yaml": pkgYAML})

	cases := map[string]struct {
		files      map[string][]byte
		wantDigest string
		wantYAML   string
		wantErr    string
	}{
		"PackageInSecondLayer": {
			files:      image("sha256:c0ffee.json", "sha256:c0ffee", other, pkg),
			wantDigest: "sha256:c0ffee",
			wantYAML:   pkgYAML,
		},
		"OCILayoutConfigName": {
			files:      image("blobs/sha256/c0ffee", "blobs/sha256/c0ffee", plain),
			wantDigest: "sha256:c0ffee",
			wantYAML:   pkgYAML,
		},
		"NoPackageYAML": {
			files:   image("sha256:c0ffee", "sha256:c0ffee", other),
			wantErr: "no package.yaml in any layer",
		},
		"TwoImages": {
			files:   map[string][]byte{"manifest.json": []byte(`[{"Config":"a","Layers":[]},{"Config":"b","Layers":[]}]`)},
			wantErr: "manifest.json names 2 images, want 1",
		},
		"NotAnImage": {
			files:   map[string][]byte{"hello.txt": []byte("hi")},
			wantErr: "cannot read manifest.json",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			digest, stream, err := Read(bytes.NewReader(tarOf(t, tc.files)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read: got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.wantDigest, digest); diff != "" {
				t.Errorf("digest: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantYAML, string(stream)); diff != "" {
				t.Errorf("package.yaml: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	e := Entry{Source: "ghcr.io/kindnode/function-kindcluster", Digest: "sha256:0123456789abcdef", PackageYAML: []byte(pkgYAML)}
	dir := filepath.Join(t.TempDir(), "cache")
	p, err := e.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(filepath.Join(dir, "ghcr-io-kindnode-function-kindcluster-sha256-01234.gz"), p); diff != "" {
		t.Errorf("path: -want, +got:\n%s", diff)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pkgYAML, string(got)); diff != "" {
		t.Errorf("cached package.yaml: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff("ghcr.io/kindnode/function-kindcluster@sha256:0123456789abcdef", e.Reference()); diff != "" {
		t.Errorf("Reference: -want, +got:\n%s", diff)
	}
}

// image is the files of an image tarball (docker save's layout) with the given config name and layers.
func image(configFile, config string, layers ...[]byte) map[string][]byte {
	files := map[string][]byte{configFile: []byte("{}")}
	names := make([]string, 0, len(layers))
	for i, l := range layers {
		n := "layer" + string(rune('0'+i)) + ".tar.gz"
		files[n] = l
		names = append(names, n)
	}
	type entry struct {
		Config string
		Layers []string
	}
	m, err := json.Marshal([]entry{{Config: config, Layers: names}})
	if err != nil {
		panic(err) // Strings only: it cannot fail.
	}
	files["manifest.json"] = m
	return files
}

// layer is a layer tarball of the given files, gzipped or not.
func layer(t *testing.T, gz bool, files map[string]string) []byte {
	t.Helper()
	b := map[string][]byte{}
	for k, v := range files {
		b[k] = []byte(v)
	}
	raw := tarOf(t, b)
	if !gz {
		return raw
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func tarOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
