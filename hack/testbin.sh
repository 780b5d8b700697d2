#!/usr/bin/env bash
# testbin.sh builds the binaries controller-runtime's envtest needs (kube-apiserver, etcd, kubectl) from the
# Go module proxy, because no release download site is reachable from our machines. The result lives in a
# cache outside the repository, keyed by version, and is reused on every later call.
#
# Usage: hack/testbin.sh [--print-dir]
# Prints the directory holding the binaries (suitable for KUBEBUILDER_ASSETS) on stdout; progress on stderr.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
CACHE_ROOT="${CAPK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-provider-kubernetes}"
DEST="${CACHE_ROOT}/testbin/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"

log() { printf 'testbin: %s\n' "$*" >&2; }

have_all() {
  local b
  for b in kube-apiserver etcd kubectl; do
    [[ -x "${DEST}/${b}" ]] || return 1
  done
}

if have_all; then
  echo "${DEST}"
  exit 0
fi

mkdir -p "${DEST}"
work="$(mktemp -d "${CACHE_ROOT}/testbin/work.XXXXXX")"
trap 'chmod -R u+w "${work}" 2>/dev/null; rm -rf "${work}"' EXIT

# Kubernetes: the k8s.io/kubernetes module points its k8s.io/* dependencies at ./staging, which the module
# zip does not carry. Copy the module, drop those replaces and go.work, and require the published staging
# modules of the same version instead.
build_kubernetes() {
  local minor_patch="${K8S_VERSION#v1.}" src dir m
  log "downloading k8s.io/kubernetes@${K8S_VERSION}"
  src="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "${src}" ]] || { log "could not locate k8s.io/kubernetes@${K8S_VERSION} in the module cache"; exit 1; }
  dir="${work}/kubernetes"
  log "copying module to ${dir}"
  cp -r "${src}" "${dir}"
  chmod -R u+w "${dir}"
  rm -rf "${dir}/go.work" "${dir}/go.work.sum" "${dir}/vendor"
  for m in $(cd "${dir}" && go mod edit -json | tr -d '[:space:]' | grep -o '{"Old":{"Path":"[^"]*"},"New":{"Path":"\./staging[^"]*"}}' | sed 's/{"Old":{"Path":"\([^"]*\)".*/\1/'); do
    (cd "${dir}" && go mod edit -dropreplace="${m}" -require="${m}@v0.${minor_patch}")
  done
  local ldflags="-s -w"
  local major=1 minor="${minor_patch%%.*}"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  for b in kube-apiserver kubectl; do
    if [[ -x "${DEST}/${b}" ]]; then continue; fi
    log "building ${b} ${K8S_VERSION} (the first build takes 15-35 minutes on 2 cores)"
    (cd "${dir}" && GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build -ldflags "${ldflags}" -o "${DEST}/${b}.tmp" "./cmd/${b}")
    mv "${DEST}/${b}.tmp" "${DEST}/${b}"
  done
}

# etcd: the server module's main package is its root; build it from a throwaway module that requires it, so
# the module's own local replaces (ignored for dependencies) do not matter.
build_etcd() {
  [[ -x "${DEST}/etcd" ]] && return 0
  local dir="${work}/etcd"
  mkdir -p "${dir}"
  log "building etcd ${ETCD_VERSION}"
  (
    cd "${dir}"
    go mod init testbin/etcd >/dev/null 2>&1
    GOWORK=off go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" 2>&1 | grep -v '^go: \(downloading\|added\)' >&2 || true
    GOWORK=off CGO_ENABLED=0 go build -ldflags "-s -w" -o "${DEST}/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "${DEST}/etcd.tmp" "${DEST}/etcd"
}

build_etcd
build_kubernetes
have_all || { log "binaries missing after build"; exit 1; }
log "ready in ${DEST}"
echo "${DEST}"
