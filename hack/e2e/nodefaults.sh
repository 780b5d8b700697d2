# nodefaults.sh is sourced by run.sh: faults inside a node and under a cluster, rows of the fault matrix
# (hack/faults.sh, which collects them through FAULT_ROWS). It uses run.sh's outer, inner, node_pods, step,
# create and delete.
#   node_faults        in a worker node Pod of the inner cluster NAME: kubelet killed, containerd killed, the
#                      whole node container restarted (systemd halted, as a crash or an OOM kill ends it).
#                      Each time the node comes back by itself: the same Node (UID) Ready, no Machine replaced,
#                      no node Pod recreated, no bootstrap run again, and a new Pod runs on it.
#   namespace_deleted  a cluster of Cluster API in a namespace of its own, whose namespace is deleted while the
#                      cluster runs: the namespace goes, no finalizer holds it, nothing of the cluster is left.

# fault_begin FAULT EXPECTED starts a row; fault_end OBSERVED ends it, passed. A row that does not end (a
# check failed and the run stops) is recorded as failed when the run exits.
fault_begin() {
  fault_current="$1" fault_expected="$2"
  step "fault: $1"
  trap fault_failed EXIT
}
fault_end() {
  fault_row "${fault_current}" "${fault_expected}" "$1" PASS
  fault_current=""
  trap - EXIT
}
fault_failed() {
  [[ -n "${fault_current:-}" ]] && fault_row "${fault_current}" "${fault_expected}" "failed: see the run's log" FAIL
}
# fault_row FAULT EXPECTED OBSERVED RESULT adds a row to the fault matrix's table, when one is being made.
fault_row() {
  if [[ -n "${FAULT_ROWS:-}" ]]; then printf 'e2e\t%s\t%s\t%s\t%s\n' "$@" >> "${FAULT_ROWS}"; fi
  printf 'fault matrix: %s: %s\n' "$4" "$3"
}

# node_exec POD COMMAND... runs COMMAND in a node Pod of the cluster.
node_exec() { local pod="$1"; shift; outer -n "${NS}" exec "${pod}" -c node -- "$@"; }

# identities prints what a fault inside a node must not change: the UIDs of the cluster's Machines, node Pods
# and inner Nodes.
identities() {
  outer -n "${NS}" get machines,pods -l "cluster.x-k8s.io/cluster-name=${NAME}" \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.metadata.uid}{"\n"}{end}' | sort
  inner get nodes -o jsonpath='{range .items[*]}Node/{.metadata.name} {.metadata.uid}{"\n"}{end}' | sort
}

# inner_node POD prints the inner Node of a node Pod: the one whose provider ID names it.
inner_node() {
  inner get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.providerID}{"\n"}{end}' |
    awk -v p="/$1" 'substr($2, length($2) - length(p) + 1) == p { print $1 }'
}

# runs_a_pod NODE: a new Pod runs on the inner Node to completion.
runs_a_pod() {
  inner delete pod "fault-probe" --ignore-not-found --wait=true >/dev/null
  inner run fault-probe --image="localhost/kindnode/debian-tools:${DEBIAN_SUITE}" --restart=Never \
    --overrides="{\"spec\":{\"nodeName\":\"$1\"}}" -- true >/dev/null
  inner wait --for=jsonpath='{.status.phase}'=Succeeded pod/fault-probe --timeout=3m >/dev/null
  inner delete pod fault-probe --wait=false >/dev/null
}

# unit_restarted POD UNIT PID waits until systemd runs UNIT again in the node, under another PID than PID.
unit_restarted() {
  local pod="$1" unit="$2" old="$3" pid
  for _ in $(seq 120); do
    pid="$(node_exec "${pod}" systemctl show -p MainPID --value "${unit}" 2>/dev/null || true)"
    if [[ -n "${pid}" && "${pid}" != 0 && "${pid}" != "${old}" ]] && node_exec "${pod}" systemctl is-active --quiet "${unit}"; then
      echo "${pid}"
      return 0
    fi
    sleep 1
  done
  echo "${unit} did not come back in node Pod ${pod}" >&2
  return 1
}

# containers_of NODE prints the inner Pods' containers on NODE with their restart counts.
containers_of() {
  inner get pods -A --field-selector "spec.nodeName=$1" \
    -o jsonpath='{range .items[*]}{range .status.containerStatuses[*]}{.containerID} {.restartCount}{"\n"}{end}{end}' | sort
}

# crash POD NODE UNIT kills UNIT's main process in node Pod POD, as a crash, waits until systemd runs it again
# and NODE is Ready and runs a Pod, and sets its caller's pids to the main PIDs before and after ("OLD -> NEW").
# It sets a variable rather than print, so that it runs in the caller's shell, under its errexit: a command
# substitution would run it where a failing step does not stop it.
crash() {
  local pod="$1" node="$2" unit="$3" pid new
  pid="$(node_exec "${pod}" systemctl show -p MainPID --value "${unit}")"
  node_exec "${pod}" systemctl kill --kill-whom=main -s KILL "${unit}"
  new="$(unit_restarted "${pod}" "${unit}" "${pid}")"
  inner wait --for=condition=Ready "node/${node}" --timeout=3m >/dev/null
  runs_a_pod "${node}"
  pids="${pid} -> ${new}"
}

node_faults() {
  local pod node before pids t0 bootstrapped containers
  pod="$(node_pods worker | awk 'NR == 1 { print $1 }')"
  node="$(inner_node "${pod}")"
  [[ -n "${pod}" && -n "${node}" ]] || { echo "cluster ${NAME} has no worker node Pod with an inner Node" >&2; return 1; }
  before="$(identities)"
  bootstrapped="$(node_exec "${pod}" stat -c %Y /var/lib/kindnode/bootstrap.complete)"
  same() {
    local after
    after="$(identities)"
    if [[ "${after}" != "${before}" ]]; then
      echo "the fault replaced something:" >&2
      diff <(echo "${before}") <(echo "${after}") >&2 || true
      return 1
    fi
    if [[ "$(node_exec "${pod}" stat -c %Y /var/lib/kindnode/bootstrap.complete)" != "${bootstrapped}" ]]; then
      echo "the bootstrap of ${pod} ran again" >&2
      return 1
    fi
  }

  fault_begin "kubelet killed (SIGKILL to its main process, as a crash) in a worker node" \
    "systemd restarts it; the same Node Ready, no Machine, node Pod or Node replaced, a new Pod runs there"
  t0=$(date +%s)
  crash "${pod}" "${node}" kubelet
  same
  fault_end "kubelet back (pid ${pids}), Node Ready and a Pod ran there $(( $(date +%s) - t0 )) s after the kill; nothing replaced"

  fault_begin "containerd killed (SIGKILL to its main process, as a crash) in a worker node" \
    "systemd restarts it; running containers keep running; the same Node Ready, nothing replaced, a new Pod runs there"
  t0=$(date +%s)
  containers="$(containers_of "${node}")"
  crash "${pod}" "${node}" containerd
  same
  if [[ "$(containers_of "${node}")" != "${containers}" ]]; then
    echo "containers on ${node} were restarted or replaced when containerd restarted:" >&2
    diff <(echo "${containers}") <(containers_of "${node}") >&2 || true
    return 1
  fi
  fault_end "containerd back (pid ${pids}), $(echo "${containers}" | grep -c .) containers kept running, a Pod ran $(( $(date +%s) - t0 )) s after the kill; nothing replaced"

  fault_begin "the whole node container of a worker restarted (systemd halted)" \
    "the kubelet of the outer node restarts the container in the same Pod; the node boots from its volumes without a second bootstrap; the same Node Ready, a new Pod runs there"
  t0=$(date +%s)
  local restarts
  restarts="$(outer -n "${NS}" get pod "${pod}" -o jsonpath='{.status.containerStatuses[0].restartCount}')"
  node_exec "${pod}" kill -s RTMIN+3 1
  for _ in $(seq 180); do
    [[ "$(outer -n "${NS}" get pod "${pod}" -o jsonpath='{.status.containerStatuses[0].restartCount}')" -gt "${restarts}" ]] && break
    sleep 1
  done
  outer -n "${NS}" wait --for=condition=Ready "pod/${pod}" --timeout=3m >/dev/null
  # The Node was Ready before the container stopped; it is Ready again once its kubelet posts so.
  for _ in $(seq 90); do
    [[ "$(inner get node "${node}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null)" > "$(date -u -d "@${t0}" +%Y-%m-%dT%H:%M:%SZ)" ]] && break
    sleep 2
  done
  inner wait --for=condition=Ready "node/${node}" --timeout=3m >/dev/null
  runs_a_pod "${node}"
  same
  fault_end "container restarted (restarts ${restarts} -> $(outer -n "${NS}" get pod "${pod}" -o jsonpath='{.status.containerStatuses[0].restartCount}')), Node Ready and a Pod ran there $(( $(date +%s) - t0 )) s after; bootstrap not run again; nothing replaced"
}

# namespace_deleted deletes the namespace NS of the running cluster NAME, which has nothing else in it.
namespace_deleted() {
  local t0 left
  [[ "${NS}" != default ]] || { echo "namespace_deleted needs a cluster in a namespace of its own" >&2; return 2; }
  fault_begin "the outer namespace deleted under a running cluster (Cluster API)" \
    "the namespace is gone within 5 minutes: every finalizer let go, no node Pod, Service, claim or Secret left"
  t0=$(date +%s)
  outer delete namespace "${NS}" --wait=false >/dev/null
  if ! outer wait --for=delete "namespace/${NS}" --timeout=5m >/dev/null 2>&1; then
    left="$(outer -n "${NS}" get "$(outer api-resources --namespaced --verbs=list -o name | paste -sd, -)" -o name 2>/dev/null | head -20)"
    echo "namespace ${NS} is still there; in it:" >&2
    echo "${left}" >&2
    outer -n "${NS}" get clusters,machines,kubernetesmachines,nodepods -o yaml 2>/dev/null |
      grep -E '^    name:|finalizers|message' | head -40 >&2 || true
    return 1
  fi
  fault_end "namespace gone $(( $(date +%s) - t0 )) s after its deletion; nothing left"
}
