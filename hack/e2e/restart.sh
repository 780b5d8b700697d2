# restart.sh is sourced by run.sh: a node's bootstrap outlives the provider. It uses run.sh's outer, step and
# NS/NAME.
#
#   restart_during_init  while kubeadm init runs in the first control-plane node of cluster NAME (just
#                        applied), deletes the provider's Pod. The run goes on in the node (the systemd unit
#                        kindnode-bootstrap), the new provider follows it, and kubeadm init runs once.
#   init_ran_once        after the cluster is up: the node's journal shows one bootstrap run and one kubeadm
#                        init.

# bootstrap_journal POD prints what the bootstrap unit of a node Pod wrote to the journal.
bootstrap_journal() {
  outer -n "${NS}" exec "$1" -- journalctl -u kindnode-bootstrap.service --no-pager -q -o cat 2>/dev/null || true
}

restart_during_init() {
  step "the provider's Pod deleted while kubeadm init runs in ${NAME}'s first control-plane node"
  local pod="" old journal
  # A loop, not kubectl wait: the moment to catch is a line in the node's journal, which kubeadm init
  # takes half a minute or more to end.
  for _ in $(seq 600); do
    pod="$(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME},kindnode.dev/role=control-plane" \
      -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)"
    if [[ -n "${pod}" ]] && bootstrap_journal "${pod}" | grep -q ': run kubeadm init'; then break; fi
    pod=""
    sleep 1
  done
  [[ -n "${pod}" ]] || { echo "no control-plane node of ${NAME} started kubeadm init within 10 minutes" >&2; return 1; }
  old="$(outer -n capkn-system get pods -l control-plane=controller-manager -o jsonpath='{.items[*].metadata.name}')"
  outer -n capkn-system delete pod -l control-plane=controller-manager --wait=false >/dev/null
  journal="$(bootstrap_journal "${pod}")"
  if grep -q 'kindnode bootstrap: done' <<<"${journal}"; then
    echo "kubeadm init had ended in ${pod} before the provider's Pod was deleted: nothing was tested" >&2
    return 1
  fi
  echo "deleted the provider's Pod ${old} while ${pod} ran: $(grep 'kubeadm init' <<<"${journal}" | tail -1)"
  outer -n capkn-system rollout status deploy/capkn-controller-manager --timeout=5m >/dev/null
  echo "the provider runs again: $(outer -n capkn-system get pods -l control-plane=controller-manager -o jsonpath='{.items[*].metadata.name}')"
  restarted_node="${pod}"
}

init_ran_once() {
  local pod="${restarted_node:?restart_during_init first}" journal runs inits
  journal="$(bootstrap_journal "${pod}")"
  runs="$(grep -c ': step 1 of ' <<<"${journal}" || true)"
  inits="$(grep -c ': run kubeadm init' <<<"${journal}" || true)"
  if [[ "${runs}" != 1 || "${inits}" != 1 ]] || ! grep -q 'kindnode bootstrap: done' <<<"${journal}"; then
    echo "${pod}: ${runs} bootstrap runs and ${inits} kubeadm inits, want one each and a finished run; its journal:" >&2
    echo "${journal}" >&2
    return 1
  fi
  echo "${pod}: one bootstrap run, one kubeadm init, finished under the new provider"
}
