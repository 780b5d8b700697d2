#!/usr/bin/env bash
# capi-build.sh builds Cluster API programs from the Go module proxy at the version hack/tools/clusterctl/go.mod
# pins (clusterctl, and the core, kubeadm bootstrap and kubeadm control-plane managers for the e2e run), with
# that version stamped in as Cluster API's own release builds do. Binaries already present in DEST are kept.
#
# Usage: hack/capi-build.sh DEST NAME:PACKAGE...
#   e.g. hack/capi-build.sh bin clusterctl:sigs.k8s.io/cluster-api/cmd/clusterctl
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${root}/hack/tools/clusterctl"
dest="$1"; shift
log() { printf 'capi-build: %s\n' "$*" >&2; }

missing=()
for spec in "$@"; do [[ -x "${dest}/${spec%%:*}" ]] || missing+=("${spec}"); done
[[ ${#missing[@]} -eq 0 ]] && exit 0

version="$(awk '$1 == "sigs.k8s.io/cluster-api" { print $2 }' "${tools}/go.mod")"
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"
pkg=sigs.k8s.io/cluster-api/version
ldflags="-s -w -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"

mkdir -p "${dest}"
for spec in "${missing[@]}"; do
  name="${spec%%:*}"
  log "building ${name} ${version} (a few minutes the first time)"
  (cd "${tools}" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${dest}/${name}.tmp" "${spec#*:}")
  mv "${dest}/${name}.tmp" "${dest}/${name}"
done
