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

// Command xpkgcache puts a package built with `crossplane xpkg build` into a directory laid out as
// Crossplane's package cache (internal/xpkgcache) and prints the digest reference to install it by. The
// e2e run turns that directory into the ConfigMap Crossplane's Helm chart mounts as the package cache
// (packageCache.configMap), since no registry is reachable.
//
//	xpkgcache --source ghcr.io/kindnode/function-kindcluster --dir cache function.xpkg
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/xpkgcache"
)

func main() {
	source := flag.String("source", "", "the package's OCI repository, as the Function, Provider or Configuration will name it")
	dir := flag.String("dir", "", "the cache directory to write into")
	flag.Parse()
	if *source == "" || *dir == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: xpkgcache --source REPOSITORY --dir DIR FILE.xpkg")
		os.Exit(2)
	}
	e, err := xpkgcache.FromFile(flag.Arg(0), *source)
	if err == nil {
		_, err = e.Write(*dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xpkgcache:", err)
		os.Exit(1)
	}
	fmt.Println(e.Reference())
}
