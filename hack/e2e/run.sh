#!/usr/bin/env bash
# run.sh is the end-to-end run on this machine, with nothing but Debian's packages and the Go module proxy:
#   up     Docker engine, images (hack/images/build.sh), the outer kind cluster, the provider in it, and an inner
#          cluster (1 control plane + 1 worker) booted in Pods; prints the inner nodes through the
#          <cluster>-kubeconfig Secret. The main job of the README (make demo).
#   check  runs a Pod on an inner worker that resolves a Service through the inner DNS on another node.
#   scale  N: workers to N.
#   delete the inner cluster, then verifies that no Pod, Service, PVC or Secret of it is left in the outer one.
#   down   deletes the outer cluster and stops the Docker engine this run started.
#   all    up, check, scale 2, check, scale 1, delete, down (make e2e).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/../images/versions.sh"
# The kubectl of the node image's build (hack/images/binaries.sh), so the host needs none of its own.
kubectl() { "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" "$@"; }

NAME="${INNER_CLUSTER:-demo}"
NS="${INNER_NAMESPACE:-default}"
step() { printf '\n==> %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

outer_kubeconfig() { bash "${here}/outer.sh" kubeconfig; }
direct() {
  (cd "${repo}" && go run ./hack/e2e/direct --kubeconfig "$(outer_kubeconfig)" --name "${NAME}" --namespace "${NS}" "$@")
}
# inner runs kubectl against the inner cluster with the kubeconfig from its Secret, from inside the first
# control-plane node's Pod: the inner API server's Service is only reachable from the outer cluster.
inner() {
  local kc
  kc="$(kubectl --kubeconfig "$(outer_kubeconfig)" -n "${NS}" get secret "${NAME}-kubeconfig" -o jsonpath='{.data.value}' | base64 -d)"
  kubectl --kubeconfig "$(outer_kubeconfig)" -n "${NS}" exec -i "${NAME}-control-plane-0" -- \
    sh -c 'cat >/tmp/inner.kubeconfig && exec kubectl --kubeconfig /tmp/inner.kubeconfig "$@"' -- "$@" <<<"${kc}"
}

up() {
  step "Docker engine"
  bash "${here}/docker.sh" start
  step "images (cached; the first build takes 40-60 minutes)"
  bash "${repo}/hack/images/build.sh" >/dev/null
  step "outer cluster"
  local kc
  kc="$(bash "${here}/outer.sh" up)"
  step "provider in the outer cluster"
  (cd "${repo}" && make --no-print-directory release-artifacts IMG=localhost/kindnode/capk-manager:dev >/dev/null)
  sed -e 's|\${CAPK_NODE_IMAGE_REPOSITORY:=kindest/node}|localhost/kindnode/node|' \
      -e 's|\${CAPK_WATCH_NAMESPACE:=""}|""|' -e 's|\${CAPK_WATCH_FILTER:=""}|""|' \
      "${repo}/_output/repository/infrastructure-kubernetes/v0.1.0/infrastructure-components.yaml" |
    kubectl --kubeconfig "${kc}" apply --server-side -f - >/dev/null
  kubectl --kubeconfig "${kc}" -n capk-system rollout status deploy/capk-controller-manager --timeout=3m
  kubectl --kubeconfig "${kc}" apply -f "${repo}/examples/provider/clusterproviderconfig.yaml"
  step "inner cluster ${NAME}: 1 control plane, 1 worker"
  direct --control-planes 1 --workers 1 --timeout 15m
  step "inner nodes, through Secret ${NS}/${NAME}-kubeconfig"
  wait_nodes 2
  inner get nodes -o wide
}

wait_nodes() {
  local want="$1"
  for _ in $(seq 120); do
    if [[ "$(inner get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)" -ge "${want}" ]]; then return 0; fi
    sleep 2
  done
  inner get nodes -o wide
  echo "fewer than ${want} inner nodes Ready" >&2
  return 1
}

check() {
  step "a Pod on every inner worker resolves kubernetes.default through CoreDNS"
  local node
  for node in $(inner get nodes -l '!node-role.kubernetes.io/control-plane' -o jsonpath='{.items[*].metadata.name}'); do
    inner delete pod "hello-${node}" --ignore-not-found --wait=true >/dev/null
    inner run "hello-${node}" --image="localhost/kindnode/debian-tools:${DEBIAN_SUITE}" --restart=Never \
      --overrides="{\"spec\":{\"nodeName\":\"${node}\"}}" -- getent hosts kubernetes.default.svc.cluster.local >/dev/null
    inner wait --for=jsonpath='{.status.phase}'=Succeeded "pod/hello-${node}" --timeout=2m
    printf '%s: %s\n' "${node}" "$(inner logs "hello-${node}")"
    inner delete pod "hello-${node}" --wait=false >/dev/null
  done
}

scale() {
  step "workers to $1"
  direct --control-planes 1 --workers "$1" --timeout 10m
  wait_nodes "$(($1 + 1))"
  # A worker removed by a scale down leaves its Pod in the outer cluster only until the provider deletes it.
  local pods=0
  for _ in $(seq 60); do
    pods="$(kubectl --kubeconfig "$(outer_kubeconfig)" -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME}" --no-headers 2>/dev/null | wc -l)"
    [[ "${pods}" -eq "$(($1 + 1))" ]] && break
    sleep 2
  done
  if [[ "${pods}" -ne "$(($1 + 1))" ]]; then
    echo "the outer cluster runs ${pods} node Pods of ${NAME}, want $(($1 + 1))" >&2
    return 1
  fi
  inner get nodes
}

delete() {
  step "delete inner cluster ${NAME}"
  direct --delete --timeout 5m
  local kc left
  kc="$(outer_kubeconfig)"
  left="$(kubectl --kubeconfig "${kc}" -n "${NS}" get pods,services,pvc,secrets -l "cluster.x-k8s.io/cluster-name=${NAME}" -o name 2>&1)"
  left+="$(kubectl --kubeconfig "${kc}" -n "${NS}" get secrets -o name | grep "/${NAME}-" || true)"
  if [[ -n "${left}" ]]; then
    echo "left behind in the outer cluster:" >&2; echo "${left}" >&2
    return 1
  fi
  echo "nothing of ${NAME} is left in the outer cluster"
}

down() {
  step "delete the outer cluster, stop Docker"
  bash "${here}/outer.sh" down
  bash "${here}/docker.sh" stop
}

case "${1:-up}" in
  up) up ;;
  check) check ;;
  scale) scale "${2:?workers}" ;;
  delete) delete ;;
  down) down ;;
  all)
    start=$(date +%s)
    up; check; scale 2; check; scale 1; delete; down
    echo "end-to-end run passed in $(( $(date +%s) - start )) s"
    ;;
  *) echo "usage: $0 [up|check|scale N|delete|down|all]" >&2; exit 2 ;;
esac
