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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/fake"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/signature"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/afero"
	corev1 "k8s.io/api/core/v1"
)

// The wants are the cache file names of these references, as the Crossplane tests and e2e runs read them;
// ID computes them with crossplane-runtime's code.
func TestID(t *testing.T) {
	cases := map[string]struct {
		source, digest, want, wantErr string
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
		"Port": {
			source: "registry.local:5000/ns/pkg",
			digest: "sha256:abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabca",
			want:   "registry-local-5000-ns-pkg-sha256-abcab",
		},
		"NotADigest": {
			source:  "registry.local:5000/ns/pkg",
			digest:  "sha256:abc",
			wantErr: "cannot parse package reference registry.local:5000/ns/pkg@sha256:abc",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Entry{Source: tc.source, Digest: tc.digest}.ID()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ID: got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ID(): -want, +got:\n%s", diff)
			}
		})
	}
}

const pkgYAML = "apiVersion: meta.pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: f\n"

func TestFromFile(t *testing.T) {
	other := layer(t, map[string][]byte{"bin/function": []byte("ELF")})
	pkg := layer(t, map[string][]byte{"package.yaml": []byte(pkgYAML)})

	cases := map[string]struct {
		write    func(t *testing.T, path string) v1.Image
		wantYAML string
		wantErr  string
	}{
		"PackageInSecondLayer": {
			write: func(t *testing.T, p string) v1.Image {
				t.Helper()
				return writeImage(t, p, image(t, other, pkg))
			},
			wantYAML: pkgYAML,
		},
		"NoPackageYAML": {
			write: func(t *testing.T, p string) v1.Image {
				t.Helper()
				return writeImage(t, p, image(t, other))
			},
			wantErr: "package.yaml not found in package",
		},
		"TwoImages": {
			write: func(t *testing.T, p string) v1.Image {
				t.Helper()
				imgs := map[name.Tag]v1.Image{tag(t, "fn-a:1"): image(t, pkg), tag(t, "fn-b:1"): image(t, other)}
				if err := tarball.MultiWriteToFile(p, imgs); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantErr: "tarball must contain only a single image",
		},
		"NotAnImage": {
			write: func(t *testing.T, p string) v1.Image {
				t.Helper()
				if err := os.WriteFile(p, []byte("hi"), 0o600); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			wantErr: "function.xpkg",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "function.xpkg")
			img := tc.write(t, p)
			e, err := FromFile(p, "ghcr.io/kindnode/function-kindcluster")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromFile: got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromFile: %v", err)
			}
			cfg, err := img.ConfigName()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(cfg.String(), e.Digest); diff != "" {
				t.Errorf("digest: -want (the image's config digest), +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantYAML, string(e.PackageYAML)); diff != "" {
				t.Errorf("package.yaml: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestWriteIsFoundByCrossplane installs the entry's reference with the package client Crossplane core
// builds (crossplane-runtime's CachedClient over an FsPackageCache) and a fetcher that fails: the package
// must come from the cache.
func TestWriteIsFoundByCrossplane(t *testing.T) {
	e := Entry{
		Source:      "ghcr.io/kindnode/function-kindcluster",
		Digest:      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		PackageYAML: []byte(pkgYAML),
	}
	dir := filepath.Join(t.TempDir(), "cache")
	p, err := e.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(filepath.Join(dir, "ghcr-io-kindnode-function-kindcluster-sha256-01234.gz"), p); diff != "" {
		t.Errorf("path: -want, +got:\n%s", diff)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("Write did not write the path it returned: %v", err)
	}

	metaScheme, err := xpkg.BuildMetaScheme()
	if err != nil {
		t.Fatal(err)
	}
	objScheme, err := xpkg.BuildObjectScheme()
	if err != nil {
		t.Fatal(err)
	}
	noRegistry := func(name.Reference) (*v1.Descriptor, error) {
		t.Error("the registry was asked")
		return nil, os.ErrNotExist
	}
	client := xpkg.NewCachedClient(
		&fake.MockFetcher{MockHead: noRegistry},
		parser.New(metaScheme, objScheme),
		xpkg.NewFsPackageCache(dir, afero.NewOsFs()),
		&fake.MockConfigStore{
			MockRewritePath:                fake.NewMockRewritePathFn("", "", nil),
			MockPullSecretFor:              fake.NewMockConfigStorePullSecretForFn("", "", nil),
			MockImageVerificationConfigFor: fake.NewMockConfigStoreImageVerificationConfigForFn("", nil, nil),
		},
		signature.NopValidator{},
	)
	got, err := client.Get(t.Context(), e.Reference(), xpkg.WithPullPolicy(corev1.PullNever))
	if err != nil {
		t.Fatalf("Crossplane's package client does not find %s in the cache: %v", e.Reference(), err)
	}
	if diff := cmp.Diff("f", got.GetMeta().GetName()); diff != "" {
		t.Errorf("package name: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(e.Digest, got.Digest); diff != "" {
		t.Errorf("package digest: -want, +got:\n%s", diff)
	}
}

func layer(t *testing.T, files map[string][]byte) v1.Layer {
	t.Helper()
	l, err := crane.Layer(files)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func image(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func tag(t *testing.T, s string) name.Tag {
	t.Helper()
	tg, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// writeImage writes img as an image tarball, the form of an .xpkg file.
func writeImage(t *testing.T, path string, img v1.Image) v1.Image {
	t.Helper()
	if err := tarball.WriteToFile(path, tag(t, "function:latest"), img); err != nil {
		t.Fatal(err)
	}
	return img
}
