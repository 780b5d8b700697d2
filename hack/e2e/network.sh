# network.sh is sourced by run.sh: an inner cluster whose overlay breaks says so, from the inner Node up to the
# cluster, and recovers. It uses run.sh's outer, inner, node_pods and step.
#
#   network_fault  one inner worker's node Pod drops VXLAN (UDP 8472), as a firewall of the outer cluster
#                  would: the inner Nodes that cannot reach it report NetworkUnavailable, their NodePods
#                  NetworkReady False and Ready False, and the cluster is not ready (capi: the Cluster's
#                  Available is False; a KindCluster's Ready is False) until the overlay is mended, when all
#                  of it comes back. It prints how long each step took.

# vxlan_rule is the iptables rule that drops the overlay into a node Pod's network namespace.
vxlan_rule=(INPUT -p udp --dport 8472 -j DROP)

# wait_until runs its arguments every 2 s until they succeed, at most $1 seconds; it prints the seconds since
# $2 when they do.
wait_until() {
  local timeout="$1" since="$2" end=$(($(date +%s) + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [[ $(date +%s) -ge ${end} ]]; then
      echo "not within ${timeout} s: $*" >&2
      return 1
    fi
    sleep 2
  done
  echo "$(( $(date +%s) - since )) s"
}

# inner_network_unavailable NODE STATUS: the inner Node's NetworkUnavailable has that status.
inner_network_unavailable() {
  [[ "$(inner get node "$1" -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")].status}')" == "$2" ]]
}

# nodepod_of POD prints the NodePod whose Pod that is (its external name).
nodepod_of() {
  outer -n "${NS}" get nodepods -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations.crossplane\.io/external-name}{"\n"}{end}' |
    awk -v pod="$1" '$2 == pod { print $1; exit }'
}

# condition_is KIND/NAME TYPE STATUS: the outer object's condition has that status.
condition_is() {
  [[ "$(outer -n "${NS}" get "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}")" == "$3" ]]
}

# cluster_condition prints the kind/name and the condition that says whether the whole cluster is ready.
cluster_condition() {
  case "${MODE}" in
    capi) echo "cluster/${NAME} Available" ;;
    *) echo "kindcluster/${NAME} Ready" ;;
  esac
}

network_fault() {
  local worker nodepod start obj cond
  worker="$(node_pods worker | awk 'NR == 1 { print $1 }')"
  nodepod="$(nodepod_of "${worker}")"
  read -r obj cond <<<"$(cluster_condition)"
  [[ -n "${worker}" && -n "${nodepod}" ]] || { echo "no worker node Pod and NodePod in ${NAME}" >&2; return 1; }
  condition_is "${obj}" "${cond}" True || { echo "${obj} is not ${cond} before the fault" >&2; return 1; }

  step "the overlay to ${worker} drops (iptables -I ${vxlan_rule[*]} in its node Pod)"
  start=$(date +%s)
  outer -n "${NS}" exec "${worker}" -- iptables -I "${vxlan_rule[@]}"
  echo "inner Node ${worker} NetworkUnavailable: $(wait_until 300 "${start}" inner_network_unavailable "${worker}" True)"
  inner get node "${worker}" -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")].message}{"\n"}'
  echo "NodePod ${nodepod} NetworkReady False: $(wait_until 180 "${start}" condition_is "nodepod/${nodepod}" NetworkReady False)"
  echo "NodePod ${nodepod} Ready False: $(wait_until 60 "${start}" condition_is "nodepod/${nodepod}" Ready False)"
  echo "${obj} ${cond} False: $(wait_until 180 "${start}" condition_is "${obj}" "${cond}" False)"
  outer -n "${NS}" get "${obj}" -o jsonpath="{.status.conditions[?(@.type==\"${cond}\")].message}{\"\\n\"}"
  if [[ "${MODE}" != capi ]]; then
    outer -n "${NS}" get "${obj}" -o jsonpath='{.status.message}{"\n"}'
  else
    outer -n "${NS}" get kubernetesmachines -l "cluster.x-k8s.io/cluster-name=${NAME}" \
      -o jsonpath='{range .items[*]}{.metadata.name}: Ready {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="NodePodReady")].message}{"\n"}{end}'
  fi

  step "the overlay to ${worker} is mended"
  start=$(date +%s)
  outer -n "${NS}" exec "${worker}" -- iptables -D "${vxlan_rule[@]}"
  echo "inner Node ${worker} NetworkUnavailable False: $(wait_until 120 "${start}" inner_network_unavailable "${worker}" False)"
  echo "NodePod ${nodepod} Ready: $(wait_until 180 "${start}" condition_is "nodepod/${nodepod}" Ready True)"
  echo "${obj} ${cond} again: $(wait_until 300 "${start}" condition_is "${obj}" "${cond}" True)"
  local node
  for node in $(inner get nodes -o jsonpath='{.items[*].metadata.name}'); do
    inner_network_unavailable "${node}" True && { echo "inner Node ${node} still NetworkUnavailable" >&2; return 1; }
  done
  echo "no inner Node NetworkUnavailable"
}
