#!/usr/bin/env bash
# outer.sh creates (or reuses) the outer cluster: a kind cluster on the kindnode node image, with the node image,
# the provider's manager, Cluster API's managers, certissuer, Crossplane and the KindCluster function loaded so
# that Pods can run them without a registry.
#
# Usage: hack/e2e/outer.sh [up [crossplane-only]|down|kubeconfig]; up crossplane-only leaves Cluster API's
# managers out.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/../images/versions.sh"

CLUSTER="${OUTER_CLUSTER:-kindnode-outer}"
NODE_IMAGE="${NODE_IMAGE:-localhost/kindnode/node:${K8S_VERSION}}"
MANAGER_IMAGE="${MANAGER_IMAGE:-localhost/kindnode/capkn-manager:dev}"
KIND="${IMAGES_CACHE}/bin/kind-${KIND_VERSION}/kind"
KUBECTL="${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl"
KUBECONFIG_OUT="${CAPK_CACHE_DIR}/e2e/${CLUSTER}.kubeconfig"
log() { printf 'outer: %s\n' "$*" >&2; }

# answers reports whether the existing cluster's API server is ready within a minute. One left by a run that
# failed, when Docker was restarted since, is not: its nodes came back with other addresses, and etcd cannot
# bind the one it was made with ("bind: cannot assign requested address").
answers() {
  local i
  "${KIND}" export kubeconfig --name "${CLUSTER}" --kubeconfig "${KUBECONFIG_OUT}" >/dev/null 2>&1 || return 1
  for i in $(seq 12); do
    "${KUBECTL}" --kubeconfig "${KUBECONFIG_OUT}" get --raw /readyz --request-timeout=5s >/dev/null 2>&1 && return 0
    sleep 5
  done
  return 1
}

up() {
  mkdir -p "$(dirname "${KUBECONFIG_OUT}")"
  # answers also writes the kubeconfig of a cluster it keeps.
  if "${KIND}" get clusters 2>/dev/null | grep -qx "${CLUSTER}" && ! answers; then
    log "kind cluster ${CLUSTER} exists but its API server does not answer: making it anew"
    down
  fi
  if ! "${KIND}" get clusters 2>/dev/null | grep -qx "${CLUSTER}"; then
    log "creating kind cluster ${CLUSTER} on ${NODE_IMAGE}"
    "${KIND}" create cluster --name "${CLUSTER}" --image "${NODE_IMAGE}" --kubeconfig "${KUBECONFIG_OUT}" \
      --config "${here}/kind-outer.yaml" --wait 5m >&2
  fi
  local images=("${NODE_IMAGE}" "${MANAGER_IMAGE}" localhost/kindnode/certissuer:dev "${CROSSPLANE_IMAGE}" "${FUNCTION_IMAGE}")
  local m
  if [[ "${1:-}" != crossplane-only ]]; then
    for m in cluster-api-controller kubeadm-bootstrap-controller kubeadm-control-plane-controller; do
      images+=("${CAPI_IMAGE_REPOSITORY}/${m}:${CAPI_VERSION}")
    done
  fi
  log "loading ${images[*]} into ${CLUSTER}"
  "${KIND}" load docker-image --name "${CLUSTER}" "${images[@]}" >&2
  echo "${KUBECONFIG_OUT}"
}

down() {
  if "${KIND}" get clusters 2>/dev/null | grep -qx "${CLUSTER}"; then
    log "deleting kind cluster ${CLUSTER}"
    "${KIND}" delete cluster --name "${CLUSTER}" --kubeconfig "${KUBECONFIG_OUT}" >&2
  fi
  rm -f "${KUBECONFIG_OUT}"
}

case "${1:-up}" in
  up) up "${2:-}" ;;
  down) down ;;
  kubeconfig) echo "${KUBECONFIG_OUT}" ;;
  *) echo "usage: $0 [up [crossplane-only]|down|kubeconfig]" >&2; exit 2 ;;
esac
