#!/usr/bin/env bash
# timing.sh measures, in one run on this machine, how long an inner cluster of 1 control plane + 1 worker takes
# to have every node Ready when booted in Pods by the provider, against `kind create cluster` with the same
# node image and node count, and prints the ratio. Needs the outer cluster and provider of `make demo`
# (it creates its own inner cluster, "timing", and deletes it afterwards).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/../images/versions.sh"
# The kubectl of the node image's build (hack/images/binaries.sh), so the host needs none of its own.
kubectl() { "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" "$@"; }
KIND="${IMAGES_CACHE}/bin/kind-${KIND_VERSION}/kind"
NODE_IMAGE="${NODE_IMAGE:-localhost/kindnode/node:${K8S_VERSION}}"
kc="$(bash "${here}/outer.sh" kubeconfig)"
[[ -f "${kc}" ]] || { echo "no outer cluster: run make demo first" >&2; exit 1; }
(cd "${repo}" && go build -o "${IMAGES_CACHE}/bin/e2e-direct" ./hack/e2e/direct)

now() { date +%s.%N; }
ready_nodes_inner() {
  local secret
  secret="$(kubectl --kubeconfig "${kc}" get secret timing-kubeconfig -o jsonpath='{.data.value}' 2>/dev/null | base64 -d)" || return 0
  kubectl --kubeconfig "${kc}" exec -i timing-control-plane-0 -- sh -c 'cat >/tmp/k && kubectl --kubeconfig /tmp/k get nodes --no-headers' <<<"${secret}" 2>/dev/null |
    awk '$2 == "Ready"' | wc -l
}

echo "inner cluster in Pods (1 control plane + 1 worker) ..."
t0="$(now)"
"${IMAGES_CACHE}/bin/e2e-direct" --kubeconfig "${kc}" --name timing --workers 1 --timeout 15m >/dev/null
until [[ "$(ready_nodes_inner)" -ge 2 ]]; do sleep 1; done
inner="$(awk -v a="$(now)" -v b="${t0}" 'BEGIN { printf "%.1f", a - b }')"
"${IMAGES_CACHE}/bin/e2e-direct" --kubeconfig "${kc}" --name timing --delete --timeout 5m >/dev/null

echo "kind create cluster (1 control plane + 1 worker, same image) ..."
cfg="$(mktemp)"; trap 'rm -f "${cfg}"; "${KIND}" delete cluster --name kindnode-timing >/dev/null 2>&1 || true' EXIT
printf 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n' >"${cfg}"
t0="$(now)"
"${KIND}" create cluster --name kindnode-timing --image "${NODE_IMAGE}" --config "${cfg}" --wait 10m \
  --kubeconfig "$(mktemp)" >/dev/null 2>&1
kind="$(awk -v a="$(now)" -v b="${t0}" 'BEGIN { printf "%.1f", a - b }')"

printf '\n%-44s %8s\n' "cluster (1 control plane + 1 worker)" "seconds"
printf '%-44s %8.1f\n' "inner cluster in Pods, all nodes Ready" "${inner}"
printf '%-44s %8.1f\n' "kind create cluster --wait, same node image" "${kind}"
printf '%-44s %8.2f\n' "ratio (inner / kind)" "$(awk -v a="${inner}" -v b="${kind}" 'BEGIN { print a / b }')"
echo "timing inner_seconds=${inner} kind_seconds=${kind}"
