# faults.sh is sourced by run.sh: an inner cluster of 3 control planes and 2 workers on the three-node outer
# cluster, spread across its zones, that survives the loss of an outer node and the drain of another. It uses
# run.sh's outer, inner, node_pods, step, ha_cluster, spread and connectivity.
#
#   spread  the control-plane node Pods run on 3 outer nodes in 3 zones; every control-plane Machine reports
#           the failure domain it asked for, which is the zone of its node Pod's outer node; a Pod on each
#           inner worker reaches a Pod on every inner node and a Service (run.sh connectivity).
#   loss    an outer worker with one control-plane node Pod stops (docker stop of its kind container) while
#           /readyz of the inner API server is polled every second: the API keeps answering (longest gap
#           reported), Cluster API replaces the lost Machines on the surviving outer nodes, and once the outer
#           node is back nothing is duplicated: one node Pod per Machine, one etcd member per control-plane
#           Machine, no outer object of a Machine that is gone.
#   drain   kubectl drain of the outer worker with the most control-plane node Pods while /readyz is polled:
#           once one control-plane Pod is gone, the quorum PodDisruptionBudget refuses the eviction of
#           another; Cluster API brings the cluster back to 3 control planes and 2 workers on the remaining
#           outer nodes; the node is uncordoned.

# The outer cluster's node containers are named after its nodes (hack/e2e/outer.sh, kind).
OUTER_CONTROL_PLANE="${OUTER_CLUSTER:-kindnode-outer}-control-plane"
FAULT_WORKERS=2

faults() {
  ha_cluster topology "ClusterClass kubernetes" "${FAULT_WORKERS}"
  CONTROL_PLANES=3 spread
  failure_domains
  connectivity
  fast_health_checks
  # E2E_SCOPE=ci leaves the loss out (run.sh).
  if [[ "${E2E_SCOPE:-full}" == full ]]; then node_loss; fi
  node_drain
}

# fast_health_checks shortens the class's health checks: it waits 300 s before it calls a Node unhealthy; a
# test need not, for a Node whose kubelet went silent (Ready Unknown), which is what a lost or drained node
# Pod's Node becomes. Ready False and the startup timeout keep the class's 300 s and 600 s: they also count
# while a replacement comes up (a new Node is NotReady until its pod network runs, which took over 30 s in a
# CI run), and a shorter one remediates the replacement too; with a second control plane already lost,
# Cluster API's control plane then cannot take the replacement's etcd member out and waits for ever.
fast_health_checks() {
  local checks='{"checks":{
    "nodeStartupTimeoutSeconds":600,
    "unhealthyNodeConditions":[{"type":"Ready","status":"Unknown","timeoutSeconds":30},{"type":"Ready","status":"False","timeoutSeconds":300}]}}'
  outer -n "${NS}" patch "cluster/${NAME}" --type json -p "[
    {\"op\":\"add\",\"path\":\"/spec/topology/controlPlane/healthCheck\",\"value\":${checks}},
    {\"op\":\"add\",\"path\":\"/spec/topology/workers/machineDeployments/0/healthCheck\",\"value\":${checks}}]" >/dev/null
}

# failure_domains checks that the control-plane Machines are in 3 failure domains, and that each one's node
# Pod runs in the zone of its failure domain, as the Machine and its KubernetesMachine report.
failure_domains() {
  step "control-plane Machines: failure domains"
  local machine asked reported infra zone node domains=""
  for machine in $(outer -n "${NS}" get machines -l "cluster.x-k8s.io/cluster-name=${NAME},cluster.x-k8s.io/control-plane" -o jsonpath='{.items[*].metadata.name}'); do
    asked="$(outer -n "${NS}" get machine "${machine}" -o jsonpath='{.spec.failureDomain}')"
    reported="$(outer -n "${NS}" get machine "${machine}" -o jsonpath='{.status.failureDomain}')"
    infra="$(outer -n "${NS}" get kubernetesmachine "${machine}" -o jsonpath='{.status.failureDomain}')"
    node="$(outer -n "${NS}" get pod "${machine}" -o jsonpath='{.spec.nodeName}')"
    zone="$(outer get node "${node}" -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}')"
    echo "${machine}: failure domain ${asked:-none}, reported ${reported:-none} (KubernetesMachine ${infra:-none}); node Pod on ${node} in ${zone:-no zone}"
    if [[ -z "${asked}" || "${asked}" != "${reported}" || "${asked}" != "${infra}" || "${asked}" != "${zone}" ]]; then
      echo "Machine ${machine} asked for failure domain '${asked}', reports '${reported}' (KubernetesMachine '${infra}'), and its node Pod runs in zone '${zone}'" >&2
      return 1
    fi
    domains+="${asked}"$'\n'
  done
  if [[ "$(sort -u <<<"${domains}" | grep -c .)" -ne 3 ]]; then
    echo "the 3 control-plane Machines are not in 3 failure domains: $(tr '\n' ' ' <<<"${domains}")" >&2
    return 1
  fi
}

# readyz_start polls the inner API server's /readyz every second, through its endpoint Service from the outer
# control-plane node (which no scenario takes away), and records when it answered; readyz_stop prints the
# longest time without an answer. The kubeconfig is the cluster's own.
readyz_start() {
  outer -n "${NS}" get secret "${NAME}-kubeconfig" -o jsonpath='{.data.value}' | base64 -d |
    docker exec -i "${OUTER_CONTROL_PLANE}" sh -c 'cat >/tmp/readyz.kubeconfig'
  readyz_log="$(mktemp)"
  # The poller ends with the script ($$ is its process), also when a failed check ends it early. A loop, not
  # kubectl wait: it probes an endpoint and records every answer, to measure the gaps between them.
  (
    while kill -0 "$$" 2>/dev/null; do
      if docker exec "${OUTER_CONTROL_PLANE}" kubectl --kubeconfig /tmp/readyz.kubeconfig --request-timeout=2s get --raw=/readyz >/dev/null 2>&1; then
        date +%s.%N >>"${readyz_log}"
      fi
      sleep 1
    done
  ) &
  readyz_pid=$!
  readyz_from="$(date +%s.%N)"
}

readyz_stop() {
  kill "${readyz_pid}" 2>/dev/null || true
  wait "${readyz_pid}" 2>/dev/null || true
  awk -v from="${readyz_from}" -v to="$(date +%s.%N)" '
    BEGIN { last = from; gap = 0 }
    { if ($1 - last > gap) gap = $1 - last; last = $1; n++ }
    END { if (to - last > gap) gap = to - last; printf "%.1f s longest without an answer from /readyz (%d answers in %.0f s)\n", gap, n, to - from }' "${readyz_log}"
  rm -f "${readyz_log}"
}

# whole waits until Cluster API replaced the Machines given, whose node Pods were on the outer node given: none
# of them left, 3 control-plane and the workers' Machines Running with Nodes, KubeadmControlPlane's etcd check
# healthy, every inner Node Ready, no node Pod of the cluster on that outer node. It prints how long that took
# since start. (Right after a fault everything but the first may still look whole for a while: the inner
# cluster takes 40 s to call a silent Node NotReady, and Cluster API some more to act on it.)
whole() {
  local away="$1" start="$2" lost="$3" machines healthy left on_away why all=$((3 + FAULT_WORKERS))
  # A loop, not kubectl waits: it counts Machines and inner Nodes that come and go, across both clusters, and
  # needs all of it whole at once (one kubectl wait after another would pass on a state that since changed).
  for _ in $(seq 450); do
    machines="$(outer -n "${NS}" get machines -l "cluster.x-k8s.io/cluster-name=${NAME}" \
      -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase},{.status.nodeRef.name}{"\n"}{end}')"
    healthy="$(outer -n "${NS}" get kcp -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{.items[0].status.conditions[?(@.type=="EtcdClusterHealthy")].status}')"
    left="$(for m in ${lost}; do grep "^${m}=" <<<"${machines}" || true; done)"
    on_away="$(node_pods | awk -v n="${away}" '$2 == n { print $1 }')"
    # why says what is not whole yet; empty when all is.
    why=""
    [[ -z "${left}" ]] || why+="Machines not replaced: $(tr '\n' ' ' <<<"${left}"); "
    [[ -z "${on_away}" ]] || why+="node Pods still on ${away}: $(tr '\n' ' ' <<<"${on_away}"); "
    [[ "${healthy}" == True ]] || why+="KubeadmControlPlane's etcd check ${healthy:-unknown}; "
    [[ "$(grep -c . <<<"${machines}")" -eq "${all}" && "$(grep -c '=Running,.' <<<"${machines}")" -eq "${all}" ]] ||
      why+="not ${all} Machines, all Running with a Node; "
    # The inner cluster is asked last, and only when the rest is whole: it may not answer for a while.
    if [[ -z "${why}" && "$(inner get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)" -ne "${all}" ]]; then
      why+="not ${all} inner Nodes Ready; "
    fi
    [[ -z "${why}" ]] && break
    sleep 2
  done
  echo "${machines}"
  if [[ -n "${why}" ]]; then
    echo "Cluster API did not bring ${NAME} back to 3 healthy control planes and ${FAULT_WORKERS} workers off ${away}: ${why}" >&2
    outer -n "${NS}" get machinehealthchecks,kcp,machines -o wide >&2
    node_pods >&2
    return 1
  fi
  inner get nodes
  node_pods
  echo "whole again: 3 control planes and ${FAULT_WORKERS} workers, $(( $(date +%s) - start )) s after the fault"
}

# nothing_duplicated checks that every node Pod, NodePod and KubernetesMachine of the cluster belongs to a
# Machine that exists, one each, and that etcd has one member per control-plane Machine.
nothing_duplicated() {
  local machines pods nodepods kms members cp
  machines="$(outer -n "${NS}" get machines -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{range .items[*]}{.spec.infrastructureRef.name}{"\n"}{end}' | sort)"
  pods="$(node_pods | awk '{ print $1 }' | sort)"
  kms="$(outer -n "${NS}" get kubernetesmachines -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)"
  nodepods="$(outer -n "${NS}" get nodepods -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | grep "^${NAME}-" | sort || true)"
  if [[ "${pods}" != "${machines}" || "${kms}" != "${machines}" || "${nodepods}" != "${machines}" ]]; then
    printf 'Machines (their KubernetesMachines):\n%s\nnode Pods:\n%s\nKubernetesMachines:\n%s\nNodePods:\n%s\n' "${machines}" "${pods}" "${kms}" "${nodepods}" >&2
    echo "the node Pods, KubernetesMachines and NodePods of ${NAME} are not one per Machine" >&2
    return 1
  fi
  cp="$(node_pods control-plane | awk -v away="${AWAY}" '$2 != away { print $1; exit }')"
  members="$(etcd_members "${cp}" | sort)"
  if [[ "${members}" != "$(node_pods control-plane | awk '{ print $1 }' | sort)" ]]; then
    printf 'etcd members:\n%s\n' "${members}" >&2
    echo "etcd's members are not the control-plane Machines' nodes" >&2
    return 1
  fi
  echo "one node Pod, KubernetesMachine and NodePod per Machine; etcd members: $(tr '\n' ' ' <<<"${members}")"
}

# etcd_members prints the names of etcd's members, as the etcd of control-plane node Pod $1 lists them: through
# etcd's JSON gateway with the kubeadm health-check client's certificate, by the openssl of the node image (the
# etcd image built here holds etcd alone, no etcdctl).
etcd_members() {
  outer -n "${NS}" exec "$1" -- sh -c 'printf "POST /v3/cluster/member/list HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" |
    openssl s_client -quiet -connect 127.0.0.1:2379 -CAfile /etc/kubernetes/pki/etcd/ca.crt \
      -cert /etc/kubernetes/pki/etcd/healthcheck-client.crt -key /etc/kubernetes/pki/etcd/healthcheck-client.key 2>/dev/null' |
    grep -o '"name":"[^"]*"' | cut -d'"' -f4
}

# node_loss stops the outer worker with one control-plane node Pod, and starts it again once Cluster API
# replaced what it held. The outer cluster's own controllers (Cluster API's, the provider) are moved off it
# first: the scenario is the loss of inner nodes, and a real outer cluster runs its controllers where one
# node's loss does not stop them (with only three nodes here, they would wait out the outer cluster's
# 300 s eviction of the lost node's Pods).
node_loss() {
  local victim start
  victim="$(node_pods control-plane | awk -v cp="${OUTER_CONTROL_PLANE}" '$2 != cp { n[$2]++ } END { for (v in n) if (n[v] == 1) { print v; exit } }')"
  [[ -n "${victim}" ]] || { echo "no outer worker holds exactly one control-plane node Pod of ${NAME}" >&2; node_pods >&2; return 1; }
  step "loss of outer node ${victim}: $(node_pods | awk -v n="${victim}" '$2 == n { printf "%s ", $1 }')"
  outer drain "${victim}" --pod-selector='!cluster.x-k8s.io/cluster-name' --ignore-daemonsets --delete-emptydir-data --timeout=5m >/dev/null
  outer uncordon "${victim}" >/dev/null
  local lost gap
  lost="$(node_pods | awk -v n="${victim}" '$2 == n { print $1 }')"
  fault_begin "an outer worker with a control-plane node Pod lost (docker stop), 3 + ${FAULT_WORKERS} cluster" \
    "the inner API keeps answering; Cluster API replaces the lost Machines elsewhere; back, the node runs nothing of them and nothing is duplicated"
  readyz_start
  start=$(date +%s)
  AWAY="${victim}"
  docker stop "${victim}" >/dev/null
  whole "${victim}" "${start}" "${lost}"
  gap="$(readyz_stop)"
  echo "${gap}"
  local replaced=$(( $(date +%s) - start ))

  step "outer node ${victim} back"
  docker start "${victim}" >/dev/null
  outer wait --for=condition=Ready "node/${victim}" --timeout=5m
  AWAY=""
  # The returning kubelet stops the containers of the Pods removed meanwhile; nothing of them may come back:
  # checked for 30 s (a loop, not kubectl wait: it waits for nothing, it watches that nothing changes).
  local i
  for i in $(seq 10); do
    nothing_duplicated || return 1
    [[ "${i}" -lt 10 ]] && sleep 3
  done
  if [[ -n "$(docker exec "${victim}" crictl pods --state ready --namespace "${NS}" --name "${NAME}-" -q)" ]]; then
    docker exec "${victim}" crictl pods --namespace "${NS}" >&2
    echo "a node Pod of ${NAME} removed while ${victim} was away runs there again" >&2
    return 1
  fi
  echo "no node Pod of ${NAME} runs on ${victim}"
  fault_end "$(wc -w <<<"${lost}") node Pods lost, replaced in ${replaced} s; ${gap%% (*}; nothing duplicated"
}

# node_drain drains the outer worker with the most control-plane node Pods. Once one of them is gone, the
# eviction of any other control-plane Pod must be refused by the quorum disruption budget.
node_drain() {
  local victim start drain gone="" refused
  victim="$(node_pods control-plane | awk -v cp="${OUTER_CONTROL_PLANE}" '$2 != cp { n[$2]++ } END { m = 0; for (v in n) if (n[v] > m) { m = n[v]; best = v } print best }')"
  [[ -n "${victim}" ]] || { echo "no outer worker holds a control-plane node Pod of ${NAME}" >&2; node_pods >&2; return 1; }
  step "drain of outer node ${victim}: $(node_pods | awk -v n="${victim}" '$2 == n { printf "%s ", $1 }')"
  local before lost gap
  before="$(node_pods control-plane | awk -v n="${victim}" '$2 == n { print $1 }')"
  lost="$(node_pods | awk -v n="${victim}" '$2 == n { print $1 }')"
  fault_begin "kubectl drain of the outer worker with the most control-plane node Pods" \
    "the quorum budget refuses a second control-plane eviction; Cluster API brings back 3 + ${FAULT_WORKERS} on the other nodes; nothing duplicated"
  readyz_start
  start=$(date +%s)
  AWAY="${victim}"
  # Node Pods have no controller the outer cluster knows (their NodePods may live in another cluster), so
  # kubectl drain wants --force; it still evicts them through the eviction API, which the budget guards.
  local drain_log
  drain_log="$(mktemp)"
  outer drain "${victim}" --force --ignore-daemonsets --delete-emptydir-data --timeout=15m >"${drain_log}" 2>&1 &
  drain=$!
  # A loop, not kubectl wait: any one of the control-plane Pods going will do, and kubectl wait waits for all.
  local p
  for _ in $(seq 60); do
    for p in ${before}; do
      if [[ -z "$(outer -n "${NS}" get pod "${p}" -o name --ignore-not-found)" ||
        -n "$(outer -n "${NS}" get pod "${p}" -o jsonpath='{.metadata.deletionTimestamp}' --ignore-not-found)" ]]; then
        gone="${p}"
        break
      fi
    done
    [[ -n "${gone}" ]] && break
    sleep 1
  done
  [[ -n "${gone}" ]] || { cat "${drain_log}" >&2; echo "the drain evicted no control-plane node Pod of ${victim} within a minute" >&2; kill "${drain}"; return 1; }
  # Another control-plane Pod, Ready, not the one evicted.
  local other
  other="$(node_pods control-plane | awk -v g="${gone}" '$1 != g { print $1; exit }')"
  refused="$(outer create --raw "/api/v1/namespaces/${NS}/pods/${other}/eviction" -f - 2>&1 <<JSON || true
{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"${other}","namespace":"${NS}"}}
JSON
)"
  echo "with ${gone} evicted, evicting ${other}: ${refused}"
  if ! grep -q 'disruption budget' <<<"${refused}"; then
    echo "the eviction of a second control-plane node Pod was not refused by the disruption budget" >&2
    kill "${drain}" 2>/dev/null || true
    return 1
  fi
  if ! wait "${drain}"; then
    cat "${drain_log}" >&2
    echo "kubectl drain ${victim} failed" >&2
    return 1
  fi
  echo "evictions of kubectl drain the budget refused: $(grep -c 'Cannot evict pod as it would violate' "${drain_log}" || true)"
  rm -f "${drain_log}"
  echo "${victim} drained $(( $(date +%s) - start )) s after the drain began"
  whole "${victim}" "${start}" "${lost}"
  gap="$(readyz_stop)"
  echo "${gap}"
  outer uncordon "${victim}" >/dev/null
  AWAY=""
  nothing_duplicated
  fault_end "second eviction refused by the budget; whole again $(( $(date +%s) - start )) s after the drain began; ${gap%% (*}; nothing duplicated"
}
