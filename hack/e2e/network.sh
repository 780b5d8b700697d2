# network.sh is sourced by run.sh: an inner cluster whose overlay breaks says so, from the inner Node up to the
# cluster, and recovers. It uses run.sh's outer, inner, node_pods, step and waited, and waits with kubectl wait.
#
#   network_fault  one inner worker's node Pod drops VXLAN (UDP 8472), as a firewall of the outer cluster
#                  would: the inner Nodes that cannot reach it report NetworkUnavailable, their NodePods
#                  NetworkReady False and Ready False, and the cluster is not ready (capi: the Cluster's
#                  Available is False; a KindCluster's Ready is False) until the overlay is mended, when all
#                  of it comes back. It prints how long each step took.

# vxlan_rule is the iptables rule that drops the overlay into a node Pod's network namespace.
vxlan_rule=(INPUT -p udp --dport 8472 -j DROP)

# inner_network_unavailable NODE STATUS: the inner Node's NetworkUnavailable has that status.
inner_network_unavailable() {
  [[ "$(inner get node "$1" -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")].status}')" == "$2" ]]
}

# nodepod_of POD prints the NodePod whose Pod that is (its external name).
nodepod_of() {
  outer -n "${NS}" get nodepods -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.annotations.crossplane\.io/external-name}{"\n"}{end}' |
    awk -v pod="$1" '$2 == pod { print $1; exit }'
}

# cluster_condition prints the kind/name and the condition that says whether the whole cluster is ready.
cluster_condition() {
  case "${MODE}" in
    capi) echo "cluster/${NAME} Available" ;;
    *) echo "kindcluster/${NAME} Ready" ;;
  esac
}

network_fault() {
  local worker nodepod start obj cond t
  worker="$(node_pods worker | awk 'NR == 1 { print $1 }')"
  nodepod="$(nodepod_of "${worker}")"
  read -r obj cond <<<"$(cluster_condition)"
  [[ -n "${worker}" && -n "${nodepod}" ]] || { echo "no worker node Pod and NodePod in ${NAME}" >&2; return 1; }
  [[ "$(outer -n "${NS}" get "${obj}" -o jsonpath="{.status.conditions[?(@.type==\"${cond}\")].status}")" == True ]] ||
    { echo "${obj} is not ${cond} before the fault" >&2; return 1; }

  step "the overlay to ${worker} drops (iptables -I ${vxlan_rule[*]} in its node Pod)"
  start=$(date +%s)
  outer -n "${NS}" exec "${worker}" -- iptables -I "${vxlan_rule[@]}"
  t="$(waited "${start}" inner wait --for=condition=NetworkUnavailable=True "node/${worker}" --timeout=300s)"
  echo "inner Node ${worker} NetworkUnavailable: ${t}"
  inner get node "${worker}" -o jsonpath='{.status.conditions[?(@.type=="NetworkUnavailable")].message}{"\n"}'
  t="$(waited "${start}" outer -n "${NS}" wait --for=condition=NetworkReady=False "nodepod/${nodepod}" --timeout=180s)"
  echo "NodePod ${nodepod} NetworkReady False: ${t}"
  t="$(waited "${start}" outer -n "${NS}" wait --for=condition=Ready=False "nodepod/${nodepod}" --timeout=60s)"
  echo "NodePod ${nodepod} Ready False: ${t}"
  t="$(waited "${start}" outer -n "${NS}" wait --for=condition="${cond}"=False "${obj}" --timeout=180s)"
  echo "${obj} ${cond} False: ${t}"
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
  t="$(waited "${start}" inner wait --for=condition=NetworkUnavailable=False "node/${worker}" --timeout=120s)"
  echo "inner Node ${worker} NetworkUnavailable False: ${t}"
  t="$(waited "${start}" outer -n "${NS}" wait --for=condition=Ready=True "nodepod/${nodepod}" --timeout=180s)"
  echo "NodePod ${nodepod} Ready: ${t}"
  t="$(waited "${start}" outer -n "${NS}" wait --for=condition="${cond}"=True "${obj}" --timeout=300s)"
  echo "${obj} ${cond} again: ${t}"
  local node
  for node in $(inner get nodes -o jsonpath='{.items[*].metadata.name}'); do
    inner_network_unavailable "${node}" True && { echo "inner Node ${node} still NetworkUnavailable" >&2; return 1; }
  done
  echo "no inner Node NetworkUnavailable"
}
