#!/usr/bin/env bash
# clusterctl.sh builds Cluster API's clusterctl from the Go module proxy into bin/clusterctl (no release
# download site is reachable from our machines) and prints its path. The version is pinned in
# hack/tools/clusterctl/go.mod; the binary is rebuilt when that file is newer than it.
#
# Usage: hack/clusterctl.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${root}/hack/tools/clusterctl"
bin="${root}/bin/clusterctl"

if [[ -x "${bin}" && "${bin}" -nt "${tools}/go.mod" ]]; then
  echo "${bin}"
  exit 0
fi

# The version stamped into the binary is the one go.mod pins, so that clusterctl version tells the truth.
version="$(cd "${tools}" && GOWORK=off go list -m -f '{{.Version}}' sigs.k8s.io/cluster-api)"
minor="${version#v*.}"
minor="${minor%%.*}"
major="${version#v}"
major="${major%%.*}"
pkg=sigs.k8s.io/cluster-api/version
ldflags="-s -w -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"

printf 'clusterctl: building %s (a few minutes the first time)\n' "${version}" >&2
mkdir -p "$(dirname "${bin}")"
(cd "${tools}" && GOWORK=off CGO_ENABLED=0 go build -ldflags "${ldflags}" -o "${bin}.tmp" sigs.k8s.io/cluster-api/cmd/clusterctl)
mv "${bin}.tmp" "${bin}"
echo "${bin}"
