#!/usr/bin/env bash
# timing.sh measures, in one run on this machine, how long an inner cluster of 1 control plane + 1 worker takes
# to have every node Ready when booted in Pods by the provider, against `kind create cluster` with the same
# node image and node count, and prints the ratio. Needs the outer cluster and provider of `make demo`
# (it creates its own inner cluster, "timing", and deletes it afterwards). The inner cluster is made through
# the front door MODE names (hack/e2e/run.sh; default capi, the quick start: clusterctl generate cluster
# applied, until both inner Nodes are Ready; kindcluster-direct and kindcluster-capi need
# `hack/e2e/run.sh crossplane` first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/../images/versions.sh"
KIND="${IMAGES_CACHE}/bin/kind-${KIND_VERSION}/kind"
NODE_IMAGE="${NODE_IMAGE:-localhost/kindnode/node:${K8S_VERSION}}"
kc="$(bash "${here}/outer.sh" kubeconfig)"
[[ -f "${kc}" ]] || { echo "no outer cluster: run make demo first" >&2; exit 1; }
export MODE="${MODE:-capi}" INNER_CLUSTER=timing INNER_NAMESPACE=default

now() { date +%s.%N; }

echo "inner cluster in Pods (1 control plane + 1 worker, ${MODE}) ..."
t0="$(now)"
bash "${here}/run.sh" create >/dev/null
inner="$(awk -v a="$(now)" -v b="${t0}" 'BEGIN { printf "%.1f", a - b }')"
bash "${here}/run.sh" delete >/dev/null

echo "kind create cluster (1 control plane + 1 worker, same image) ..."
cluster=kindnode-timing
cfg="$(mktemp)"; trap 'rm -f "${cfg}" "${cfg}.log" "${kindkc:-}"; "${KIND}" delete cluster --name "${cluster}" >/dev/null 2>&1 || true' EXIT
printf 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n' >"${cfg}"
kindkc="$(mktemp)"
t0="$(now)"
if ! "${KIND}" create cluster --name "${cluster}" --image "${NODE_IMAGE}" --config "${cfg}" --wait 10m \
  --kubeconfig "${kindkc}" >"${cfg}.log" 2>&1; then
  cat "${cfg}.log" >&2
  exit 1
fi
# kind --wait waits for the control plane only; the inner cluster's time is to every node Ready: kind's two
# nodes (kind names them <cluster>-control-plane and <cluster>-worker), within 10 minutes of kind create's end.
deadline=$(( $(date +%s) + 600 ))
for node in "${cluster}-control-plane" "${cluster}-worker"; do
  left=$(( deadline - $(date +%s) ))
  if ! "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" --kubeconfig "${kindkc}" wait --for=create --for=condition=Ready \
    "node/${node}" --timeout="$(( left > 0 ? left : 0 ))s" >/dev/null; then
    echo "the kind cluster's nodes are not Ready after 10 minutes" >&2
    exit 1
  fi
done
kind="$(awk -v a="$(now)" -v b="${t0}" 'BEGIN { printf "%.1f", a - b }')"

printf '\n%-60s %8s\n' "cluster (1 control plane + 1 worker)" "seconds"
printf '%-60s %8.1f\n' "inner cluster in Pods (${MODE}), all nodes Ready" "${inner}"
printf '%-60s %8.1f\n' "kind create cluster, all nodes Ready, same image" "${kind}"
printf '%-60s %8.2f\n' "ratio (inner / kind)" "$(awk -v a="${inner}" -v b="${kind}" 'BEGIN { print a / b }')"
echo "timing mode=${MODE} inner_seconds=${inner} kind_seconds=${kind}"
