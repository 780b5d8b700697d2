#!/usr/bin/env bash
# k8s-build.sh builds Kubernetes binaries of one version from the Go module proxy: the k8s.io/kubernetes module
# points its k8s.io/* dependencies at ./staging, which the module zip does not carry, so the module is copied,
# those replaces and go.work are dropped, and the published staging modules of the same version are required
# instead. Binaries already present in DEST are kept.
#
# Usage: hack/k8s-build.sh DEST BINARY...   (K8S_VERSION, default hack/images/versions.sh's)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/images/versions.sh"
dest="$1"; shift
log() { printf 'k8s-build: %s\n' "$*" >&2; }

missing=()
for b in "$@"; do [[ -x "${dest}/${b}" ]] || missing+=("${b}"); done
[[ ${#missing[@]} -eq 0 ]] && exit 0

mkdir -p "${dest}"
work="$(mktemp -d)"
trap 'chmod -R u+w "${work}" 2>/dev/null; rm -rf "${work}"' EXIT

minor_patch="${K8S_VERSION#v1.}"
log "downloading k8s.io/kubernetes@${K8S_VERSION}"
src="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -n "${src}" ]] || { log "could not locate k8s.io/kubernetes@${K8S_VERSION} in the module cache"; exit 1; }
dir="${work}/kubernetes"
cp -r "${src}" "${dir}"
chmod -R u+w "${dir}"
rm -rf "${dir}/go.work" "${dir}/go.work.sum" "${dir}/vendor"
for m in $(cd "${dir}" && go mod edit -json | tr -d '[:space:]' | grep -o '{"Old":{"Path":"[^"]*"},"New":{"Path":"\./staging[^"]*"}}' | sed 's/{"Old":{"Path":"\([^"]*\)".*/\1/'); do
  (cd "${dir}" && go mod edit -dropreplace="${m}" -require="${m}@v0.${minor_patch}")
done

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor_patch%%.*}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
for b in "${missing[@]}"; do
  log "building ${b} ${K8S_VERSION} (cold: 5-35 minutes each on 2 cores; later calls reuse it)"
  (cd "${dir}" && GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build -ldflags "${ldflags}" -o "${dest}/${b}.tmp" "./cmd/${b}")
  mv "${dest}/${b}.tmp" "${dest}/${b}"
done
