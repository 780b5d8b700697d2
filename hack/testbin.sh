#!/usr/bin/env bash
# testbin.sh builds the binaries controller-runtime's envtest needs (kube-apiserver, etcd, kubectl), and the
# kube-controller-manager test/crossplane runs for its garbage collector, from the Go module proxy, because no release download site is reachable from our machines. The result lives in a
# cache outside the repository, keyed by version, and is reused on every later call.
#
# Usage: hack/testbin.sh [--print-dir]
# Prints the directory holding the binaries (suitable for KUBEBUILDER_ASSETS) on stdout; progress on stderr.
set -euo pipefail

# The versions the node image is built from: the same kube-apiserver and etcd (one pin, hack/images/versions.sh).
source "$(dirname "${BASH_SOURCE[0]}")/images/versions.sh"
CACHE_ROOT="${CAPK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cluster-api-provider-kubernetes}"
DEST="${CACHE_ROOT}/testbin/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"

log() { printf 'testbin: %s\n' "$*" >&2; }

have_all() {
  local b
  for b in kube-apiserver etcd kubectl kube-controller-manager; do
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

# Kubernetes: built by hack/k8s-build.sh, which also builds the node image's binaries
# (hack/images/binaries.sh): what that build made already is taken from there, as it takes ours, so that each
# binary is built once whichever of make images and make test comes first.
build_kubernetes() {
  local b images="${CACHE_ROOT}/images/bin/k8s-${K8S_VERSION}"
  for b in kube-apiserver kubectl kube-controller-manager; do
    if [[ ! -x "${DEST}/${b}" && -x "${images}/${b}" ]]; then
      log "taking ${b} from the node image's build (${images})"
      cp "${images}/${b}" "${DEST}/${b}.tmp" && mv "${DEST}/${b}.tmp" "${DEST}/${b}"
    fi
  done
  K8S_VERSION="${K8S_VERSION}" bash "$(dirname "${BASH_SOURCE[0]}")/k8s-build.sh" "${DEST}" kube-apiserver kubectl kube-controller-manager
}

# etcd: taken from the node image's build (hack/images/binaries.sh builds it alike) when that made it, else
# built. The server module's main package is its root; it is built from a throwaway module that requires it,
# so the module's own local replaces (ignored for dependencies) do not matter.
build_etcd() {
  [[ -x "${DEST}/etcd" ]] && return 0
  local images="${IMAGES_CACHE}/bin/etcd-${ETCD_VERSION}/etcd"
  if [[ -x "${images}" ]]; then
    log "taking etcd from the node image's build (${images})"
    cp "${images}" "${DEST}/etcd.tmp" && mv "${DEST}/etcd.tmp" "${DEST}/etcd"
    return 0
  fi
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

missing=()
for b in etcd kube-apiserver kubectl kube-controller-manager; do [[ -x "${DEST}/${b}" ]] || missing+=("${b}"); done
log "making ${missing[*]} (Kubernetes ${K8S_VERSION}, etcd ${ETCD_VERSION}) in ${DEST}: taken from the node image's build where it made them, else built (cold: 20-40 min on 2 cores, kube-apiserver most of it; cached afterwards)"
build_etcd
build_kubernetes
have_all || { log "binaries missing after build"; exit 1; }
log "ready in ${DEST}"
echo "${DEST}"
