#!/usr/bin/env bash
# run.sh is the end-to-end run on this machine, with nothing but Debian's packages and the Go module proxy.
# An inner cluster is made through one of the front doors (MODE, default capi):
#   capi               the seed's quickstart: clusterctl init (Cluster API + this provider, from local
#                      repositories, hack/e2e/capi.sh), clusterctl generate cluster with the seed's variables,
#                      kubectl apply;
#   kindcluster-direct a KindCluster composed by Crossplane (installed with its Helm chart, hack/e2e/crossplane.sh)
#                      in the direct mode: a NodeService and NodePods with the function's own kubeadm flow;
#   kindcluster-capi   a KindCluster composed by Crossplane in the capi mode: Cluster API objects, which Cluster
#                      API and this provider turn into nodes.
# Commands:
#   up     Docker engine, images (hack/images/build.sh), the outer kind cluster with Cluster API and the
#          provider, and an inner cluster (1 control plane + 1 worker) booted in Pods; prints the inner nodes
#          through the <cluster>-kubeconfig Secret. The main job of the README (make demo).
#   check  runs a Pod on every inner worker that resolves a Service through the inner DNS on another node, and
#          connects from there to a Pod on every inner node by Pod IP and to a Service by DNS name.
#   scale  N: workers to N.
#   delete the inner cluster, then verifies that no Pod, Service, PVC or Secret of it is left in the outer one.
#   down   deletes the outer cluster and stops the Docker engine this run started.
#   outer  only the Docker engine, images, outer cluster, Cluster API and the provider.
#   crossplane  Crossplane, the KindCluster function and Configuration in the outer cluster (the kindcluster-*
#          modes' up does this too).
#   crossplane-only  a new outer cluster with Crossplane, the KindCluster function and Configuration, and
#          provider-kindnode installed as a Crossplane Provider package, without Cluster API; only
#          MODE=kindcluster-direct works there.
#   faults (MODE=capi) a cluster of 3 control planes and 2 workers spread across the outer nodes' zones
#          loses an outer node, then has another drained; Cluster API replaces what they held (faults.sh).
#   persist (MODE=capi) a persistent control plane of 3 loses a node Pod; it comes back as the same node.
#   node-faults  kubelet, containerd, then the whole node container of a worker of cluster NAME killed; it comes
#          back by itself as the same node (nodefaults.sh).
#   namespace-deleted (MODE=capi) the namespace of cluster NAME (INNER_NAMESPACE; a new cluster in namespace NAME
#          when unset) deleted under it; nothing is left.
#   crs-cni (MODE=capi) a cluster of the crs-cni flavor: no default CNI, its pod network from a
#          ClusterResourceSet. The provider's Pod is deleted while kubeadm init runs in its first node
#          (restart.sh): the cluster comes up, and kubeadm init ran once.
#   all    (make e2e) up, check, node-faults, network, scale 2, check, scale 1, delete with MODE=capi; crs-cni
#          in a namespace of its own, check, namespace-deleted; faults,
#          delete, persist, delete; crossplane; create (3 control planes), check, scale 2, check, scale 1,
#          delete with MODE=kindcluster-direct; create, check,
#          scale 2, delete with MODE=kindcluster-capi; crossplane-only; create, check, delete with
#          MODE=kindcluster-direct; down.
#
# E2E_SCOPE=ci (CI's .ci/run) is all within CI's time budget: the same scenarios except the loss of an outer
# node in faults (its drain takes node Pods from an outer node too, and Cluster API replaces them) and the
# KindCluster capi mode's scaling (the demo's and the direct mode's clusters scale). make e2e and make faults
# (FAULTS=e2e) run them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
source "${here}/../images/versions.sh"
# The kubectl of the node image's build (hack/images/binaries.sh), so the host needs none of its own.
kubectl() { "${IMAGES_CACHE}/bin/k8s-${K8S_VERSION}/kubectl" "$@"; }

MODE="${MODE:-capi}"
NAME="${INNER_CLUSTER:-demo}"
NS="${INNER_NAMESPACE:-default}"
# Control-plane nodes of the clusters create makes (the KindCluster direct mode of make e2e makes 3).
CONTROL_PLANES="${CONTROL_PLANES:-1}"
E2E_SCOPE="${E2E_SCOPE:-full}"
[[ "${E2E_SCOPE}" == full || "${E2E_SCOPE}" == ci ]] || { echo "E2E_SCOPE must be full or ci, not ${E2E_SCOPE}" >&2; exit 2; }
step() { printf '\n==> %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
# waited SINCE COMMAND...: runs COMMAND (a kubectl wait) quietly and prints the seconds since SINCE once it
# succeeds; it fails as COMMAND does. Its caller assigns what it prints (t="$(waited ...)"): a failure inside
# echo "$(waited ...)" would be lost, and the run would go on.
waited() {
  local since="$1"
  shift
  "$@" >/dev/null || return
  echo "$(( $(date +%s) - since )) s"
}
# remaining DEADLINE prints the time left until DEADLINE (seconds since the epoch) as a kubectl wait --timeout,
# so that waits one after another share one timeout; 0s once it passed (check once: a negative timeout would
# wait for a week).
remaining() {
  local left
  left=$(( $1 - $(date +%s) ))
  echo "$(( left > 0 ? left : 0 ))s"
}
source "${here}/faults.sh"
source "${here}/network.sh"
source "${here}/nodefaults.sh"
source "${here}/restart.sh"

outer_kubeconfig() { bash "${here}/outer.sh" kubeconfig; }
outer() { kubectl --kubeconfig "$(outer_kubeconfig)" "$@"; }
# ensure_namespace makes the namespace NS in the outer cluster, unless it is there.
ensure_namespace() { outer get namespace "${NS}" >/dev/null 2>&1 || outer create namespace "${NS}" >/dev/null; }
# kindcluster N applies the KindCluster ${NAME} of the mode MODE names with N workers, the seed's requests.
kindcluster() {
  outer apply -f - <<YAML
apiVersion: platform.kindnode.dev/v1alpha1
kind: KindCluster
metadata:
  name: ${NAME}
  namespace: ${NS}
spec:
  crossplane:
    compositionSelector:
      matchLabels:
        platform.kindnode.dev/mode: ${MODE#kindcluster-}
  kubernetesVersion: ${K8S_VERSION}
  serviceType: ${KUBERNETES_CONTROL_PLANE_SERVICE_TYPE}
  controlPlane:
    replicas: ${CONTROL_PLANES}
    resources:
      requests:
        cpu: ${KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST}
        memory: ${KUBERNETES_CONTROLLER_MACHINE_MEMORY_REQUEST}
  workers:
    replicas: $1
    resources:
      requests:
        cpu: ${KUBERNETES_WORKER_MACHINE_CPU_REQUEST}
        memory: ${KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST}
  providerConfigRef:
    kind: ClusterProviderConfig
    name: default
YAML
}
# AWAY is an outer node a scenario takes away (faults.sh): inner does not go through a node Pod there.
AWAY=""
# inner runs kubectl against the inner cluster with the kubeconfig from its Secret, from inside a control-plane
# node's Pod that is not being deleted: the inner API server's Service is only reachable from the outer cluster.
inner() {
  local kc pod
  kc="$(outer -n "${NS}" get secret "${NAME}-kubeconfig" -o jsonpath='{.data.value}' | base64 -d)"
  pod="$(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME},kindnode.dev/role=control-plane" \
    --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk -v away="${AWAY}" '$2 != away && $3 == "" { print $1; exit }')"
  outer -n "${NS}" exec -i "${pod}" -- \
    sh -c 'cat >/tmp/inner.kubeconfig && exec kubectl --kubeconfig /tmp/inner.kubeconfig "$@"' -- "$@" <<<"${kc}"
}

outer_up() {
  step "Docker engine"
  bash "${here}/docker.sh" start
  step "images (cached; the first build takes 40-60 minutes)"
  bash "${repo}/hack/images/build.sh" >/dev/null
  step "outer cluster"
  bash "${here}/outer.sh" up >/dev/null
  step "Cluster API and the provider in the outer cluster: clusterctl init from local repositories"
  bash "${here}/capi.sh" init
  # The KindCluster direct mode's NodePods and NodeService name the outer cluster through this
  # ClusterProviderConfig.
  outer apply -f "${repo}/examples/provider/clusterproviderconfig.yaml"
}

crossplane_up() {
  step "Crossplane (Helm chart), the KindCluster function and Configuration in the outer cluster"
  bash "${here}/crossplane.sh" install
}

# crossplane_only replaces the outer cluster with a Crossplane-only one: a new kind cluster, Crossplane with the
# KindCluster function and Configuration, and provider-kindnode as a Crossplane Provider package, which brings
# its own CRDs; no Cluster API. KindClusters of the direct mode need nothing else.
crossplane_only() {
  step "a Crossplane-only outer cluster: provider-kindnode as a Crossplane Provider package, no Cluster API"
  bash "${here}/outer.sh" down
  bash "${here}/outer.sh" up crossplane-only >/dev/null
  bash "${here}/crossplane.sh" install
  bash "${here}/crossplane.sh" provider
  outer apply -f "${repo}/examples/provider/clusterproviderconfig.yaml"
}

# apply_retrying applies stdin to the outer cluster, again every 5 s for up to 2 minutes while Cluster API's
# webhooks do not answer yet: clusterctl init --wait-providers waits for the providers' Deployments, not for
# their webhook Services' endpoints or the CA certissuer injects a moment later. Applying twice is harmless.
# A loop, not kubectl wait: no object says that the webhooks answer; the apply itself does.
apply_retrying() {
  local manifest i
  manifest="$(cat)"
  for i in $(seq 24); do
    outer apply -f - <<<"${manifest}" && return 0
    echo "apply failed (attempt ${i}); retrying in 5 s" >&2
    sleep 5
  done
  return 1
}

# The seed's clusterctl variables, small enough that a control plane and two workers fit the outer node.
export KUBERNETES_CONTROL_PLANE_SERVICE_TYPE=ClusterIP
export KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST=200m KUBERNETES_CONTROLLER_MACHINE_MEMORY_REQUEST=512Mi
export KUBERNETES_WORKER_MACHINE_CPU_REQUEST=100m KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST=256Mi

create() {
  step "inner cluster ${NAME} (${MODE}): ${CONTROL_PLANES} control plane(s), 1 worker"
  case "${MODE}" in
    capi)
      bash "${here}/capi.sh" clusterctl generate cluster "${NAME}" --infrastructure "kubernetes:v0.1.0" \
        --target-namespace "${NS}" --kubernetes-version "${K8S_VERSION}" \
        --control-plane-machine-count "${CONTROL_PLANES}" --worker-machine-count 1 | apply_retrying
      outer -n "${NS}" wait --for=condition=Available "cluster/${NAME}" --timeout=15m
      ;;
    kindcluster-direct|kindcluster-capi)
      kindcluster 1
      if ! outer -n "${NS}" wait --for=condition=Ready "kindcluster/${NAME}" --timeout=15m; then
        outer -n "${NS}" get "kindcluster/${NAME}" -o yaml >&2
        return 1
      fi
      outer -n "${NS}" get "kindcluster/${NAME}" -o wide
      ;;
    *) echo "MODE must be capi, kindcluster-direct or kindcluster-capi, not ${MODE}" >&2; return 2 ;;
  esac
  step "inner nodes, through Secret ${NS}/${NAME}-kubeconfig"
  wait_nodes "$((CONTROL_PLANES + 1))"
  inner get nodes -o wide
  requests
  spread
  if [[ "${MODE}" == capi ]]; then
    bash "${here}/capi.sh" clusterctl describe cluster "${NAME}" -n "${NS}" --show-conditions KubernetesCluster
  fi
}

# requests checks that the seed's variables (clusterctl's, or the KindCluster's requests set from them) reached
# the node Pods of the given roles (default both).
requests() {
  local role want got
  for role in ${*:-control-plane worker}; do
    case "${role}" in
      control-plane) want="${KUBERNETES_CONTROLLER_MACHINE_CPU_REQUEST}/${KUBERNETES_CONTROLLER_MACHINE_MEMORY_REQUEST}" ;;
      worker) want="${KUBERNETES_WORKER_MACHINE_CPU_REQUEST}/${KUBERNETES_WORKER_MACHINE_MEMORY_REQUEST}" ;;
    esac
    got="$(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME},kindnode.dev/role=${role}" \
      -o jsonpath='{.items[0].spec.containers[0].resources.requests.cpu}/{.items[0].spec.containers[0].resources.requests.memory}')"
    if [[ "${got}" != "${want}" ]]; then
      echo "${role} node Pod requests ${got}, want ${want} from the clusterctl variables" >&2
      return 1
    fi
  done
  echo "node Pods request what the clusterctl variables say"
}

# node_pods prints "pod outer-node" for the node Pods of the cluster with the given role ("" for every role).
node_pods() {
  local selector="cluster.x-k8s.io/cluster-name=${NAME}"
  [[ -n "${1:-}" ]] && selector+=",kindnode.dev/role=$1"
  outer -n "${NS}" get pods -l "${selector}" -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}'
}

# spread checks that the inner cluster's control-plane node Pods run on different outer nodes, as many as
# there are (the engine's default anti-affinity, and for Cluster API the failure domains too).
spread() {
  local outer_nodes want got
  outer_nodes="$(outer get nodes --no-headers | wc -l)"
  want=$(( CONTROL_PLANES < outer_nodes ? CONTROL_PLANES : outer_nodes ))
  got="$(node_pods control-plane | awk '$2 != "" { print $2 }' | sort -u | grep -c . || true)"
  outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME}" -o wide
  if [[ "${got}" -ne "${want}" ]]; then
    echo "${CONTROL_PLANES} control-plane node Pods of ${NAME} run on ${got} outer nodes, want ${want}" >&2
    return 1
  fi
  echo "${CONTROL_PLANES} control-plane node Pods on ${got} outer nodes"
}

up() {
  outer_up
  if [[ "${MODE}" == kindcluster-* ]]; then crossplane_up; fi
  create
}

# wait_nodes N waits 4 minutes for at least N inner Nodes Ready. A loop, not kubectl wait: it counts Nodes
# whose names are not known yet (kubectl wait waits for the ones that exist when it starts), and the inner API
# server may not answer for a while.
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
  for node in $(inner_workers); do
    inner delete pod "hello-${node}" --ignore-not-found --wait=true >/dev/null
    inner run "hello-${node}" --image="localhost/kindnode/debian-tools:${DEBIAN_SUITE}" --restart=Never \
      --overrides="{\"spec\":{\"nodeName\":\"${node}\"}}" -- getent hosts kubernetes.default.svc.cluster.local >/dev/null
    inner wait --for=jsonpath='{.status.phase}'=Succeeded "pod/hello-${node}" --timeout=2m
    printf '%s: %s\n' "${node}" "$(inner logs "hello-${node}")"
    inner delete pod "hello-${node}" --wait=false >/dev/null
  done
  connectivity
}

inner_workers() { inner get nodes -l '!node-role.kubernetes.io/control-plane' -o jsonpath='{.items[*].metadata.name}'; }

# connectivity: a Pod on every inner node serves TCP on port 53 (CoreDNS with no Corefile answers whoami; its
# image is in every node), and a Pod on every inner worker connects to each of them by Pod IP and to a Service
# over them by DNS name. The node Pods run on different outer nodes, so this is inner traffic across outer
# nodes, in both directions, through the inner overlay inside the outer one.
connectivity() {
  step "from a Pod on every inner worker: a Pod on every inner node by Pod IP, a Service by DNS name"
  local node code ips
  inner delete pods,services -l app=kindnode-echo --ignore-not-found --wait=true >/dev/null
  inner create service clusterip kindnode-echo --tcp=53:53 >/dev/null
  inner label service kindnode-echo app=kindnode-echo >/dev/null
  for node in $(inner get nodes -o jsonpath='{.items[*].metadata.name}'); do
    inner run "echo-${node}" --image="registry.k8s.io/coredns/coredns:${COREDNS_VERSION}" --restart=Never \
      --labels="app=kindnode-echo" --overrides="{\"spec\":{\"nodeName\":\"${node}\"}}" >/dev/null
  done
  inner wait --for=condition=Ready pods -l app=kindnode-echo --timeout=2m >/dev/null
  ips="$(inner get pods -l app=kindnode-echo -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}')"
  inner get pods -l app=kindnode-echo -o wide
  for node in $(inner_workers); do
    inner delete pod "probe-${node}" --ignore-not-found --wait=true >/dev/null
    inner run "probe-${node}" --image="localhost/kindnode/debian-tools:${DEBIAN_SUITE}" --restart=Never \
      --overrides="{\"spec\":{\"nodeName\":\"${node}\"}}" -- bash -c '
        for target in "$@" kindnode-echo.default.svc.cluster.local; do
          if timeout 5 bash -c "</dev/tcp/${target}/53"; then echo "${target}: answers"; else echo "${target}: no answer"; exit 1; fi
        done' -- ${ips} >/dev/null
    # Done either way: the probe's container ends with its exit code. (Its phase says the same later: the kubelet
    # may report it Running a while after the container ended.)
    code=""
    if inner wait --for=jsonpath='{.status.containerStatuses[*].state.terminated}' "pod/probe-${node}" --timeout=120s >/dev/null; then
      code="$(inner get pod "probe-${node}" -o jsonpath='{.status.containerStatuses[*].state.terminated.exitCode}')"
    fi
    inner logs "probe-${node}" | sed "s/^/${node} -> /"
    if [[ "${code}" != 0 ]]; then
      echo "from ${node}, not every inner node's Pod answered (probe ${code:+exit code }${code:-not done in 2 minutes})" >&2
      return 1
    fi
    inner delete pod "probe-${node}" --wait=false >/dev/null
  done
  inner delete pods,services -l app=kindnode-echo --wait=false >/dev/null
}

scale() {
  step "workers to $1 (${MODE})"
  case "${MODE}" in
    capi) outer -n "${NS}" scale "machinedeployment/${NAME}-md-0" --replicas "$1" ;;
    kindcluster-*) outer -n "${NS}" patch "kindcluster/${NAME}" --type merge -p "{\"spec\":{\"workers\":{\"replicas\":$1}}}" ;;
  esac
  local want=$(($1 + CONTROL_PLANES))
  wait_nodes "${want}"
  # A worker removed by a scale down leaves its Pod in the outer cluster only until the provider deletes it.
  # Loops, not kubectl wait, here and for the inner Nodes below: they count objects that come and go.
  local pods=0
  for _ in $(seq 60); do
    pods="$(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME}" --no-headers 2>/dev/null | wc -l)"
    [[ "${pods}" -eq "${want}" ]] && break
    sleep 2
  done
  if [[ "${pods}" -ne "${want}" ]]; then
    echo "the outer cluster runs ${pods} node Pods of ${NAME}, want ${want}" >&2
    return 1
  fi
  # Cluster API also deletes the inner Node of a Machine it removes (the direct mode cannot reach the inner
  # cluster and leaves it NotReady).
  if [[ "${MODE}" != kindcluster-direct ]]; then
    local nodes=0
    for _ in $(seq 60); do
      nodes="$(inner get nodes --no-headers | wc -l)"
      [[ "${nodes}" -eq "${want}" ]] && break
      sleep 2
    done
    if [[ "${nodes}" -ne "${want}" ]]; then
      echo "the inner cluster has ${nodes} Nodes, want ${want}" >&2
      return 1
    fi
  fi
  inner get nodes
}

delete() {
  step "delete inner cluster ${NAME} (${MODE})"
  case "${MODE}" in
    capi)
      outer -n "${NS}" delete "cluster/${NAME}" --timeout=5m
      # The crs-cni flavor's ClusterResourceSet and ConfigMap belong to no Cluster: they go by name.
      outer -n "${NS}" delete "clusterresourceset/${NAME}-crs-cni" "configmap/${NAME}-cni" --ignore-not-found
      ;;
    kindcluster-*) outer -n "${NS}" delete "kindcluster/${NAME}" --timeout=5m ;;
  esac
  # Secrets owned by Cluster API's objects go with the garbage collector, a moment after their owners; the
  # composed objects of a KindCluster go with Crossplane and then Cluster API after the KindCluster.
  local left kinds=nodepods.kindnode.dev,nodeservices.kindnode.dev
  if outer get crd clusters.cluster.x-k8s.io >/dev/null 2>&1; then
    kinds="clusters.cluster.x-k8s.io,machines.cluster.x-k8s.io,${kinds}"
  fi
  # A loop, not kubectl wait --for=delete: what must go is found by name as well as by label, and kubectl wait
  # waits only for the objects that exist when it starts.
  for _ in $(seq 90); do
    left="$(outer -n "${NS}" get pods,services,pvc,poddisruptionbudgets,secrets -l "cluster.x-k8s.io/cluster-name=${NAME}" -o name 2>&1)"
    left+="$(outer -n "${NS}" get secrets -o name | grep "/${NAME}-" || true)"
    # Nor any object a KindCluster composed.
    left+="$(outer -n "${NS}" get "${kinds}" -o name | grep -E "/${NAME}(-|$)" || true)"
    [[ -z "${left}" ]] && break
    sleep 2
  done
  if [[ -n "${left}" ]]; then
    echo "left behind in the outer cluster:" >&2; echo "${left}" >&2
    return 1
  fi
  echo "nothing of ${NAME} is left in the outer cluster"
}

# default_cni prints the node image's default CNI manifests with this repository's images and the Pod CIDR
# of the cluster templates, as the node image and its bootstrap apply them.
default_cni() {
  sed -e "s|@FLANNEL_IMAGE@|${FLANNEL_IMAGE}|" -e "s|@KINDNODE_NET_IMAGE@|${NET_IMAGE}|" \
    -E -e 's#[{][{] *[.]PodSubnet *[}][}]#10.244.0.0/16#g' "${repo}/cluster/images/node/files/kind/manifests/default-cni.yaml"
}

# crs_cni is a cluster that brings its own pod network, the Cluster API way (--flavor crs-cni): its nodes
# have no default CNI (KubernetesMachineTemplate disableDefaultCNI) and a ClusterResourceSet applies the
# manifests in CNI_RESOURCES, here the node image's own flannel, the one CNI whose images can be had here.
crs_cni() {
  [[ "${MODE}" == capi ]] || { echo "crs-cni needs MODE=capi" >&2; return 2; }
  step "inner cluster ${NAME} (capi, crs-cni flavor): its pod network from a ClusterResourceSet"
  local file pod have
  file="$(mktemp)"
  default_cni >"${file}"
  CNI_RESOURCES="$(kubectl create configmap cni --from-file="cni.yaml=${file}" --dry-run=client -o jsonpath='{.data}')"
  rm -f "${file}"
  CNI_RESOURCES="${CNI_RESOURCES}" bash "${here}/capi.sh" clusterctl generate cluster "${NAME}" --flavor crs-cni \
    --infrastructure "kubernetes:v0.1.0" --target-namespace "${NS}" --kubernetes-version "${K8S_VERSION}" \
    --control-plane-machine-count 1 --worker-machine-count 1 | apply_retrying
  # The cluster is also the one whose kubeadm init outlives the provider: there is one in this run.
  restart_during_init
  outer -n "${NS}" wait --for=condition=Available "cluster/${NAME}" --timeout=15m
  wait_nodes 2
  inner get nodes -o wide
  init_ran_once
  for pod in $(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{.items[*].metadata.name}'); do
    have="$(outer -n "${NS}" exec "${pod}" -- sh -c 'if [ -e /kind/manifests/default-cni.yaml ]; then echo present; else echo absent; fi')"
    if [[ "${have}" != absent ]]; then
      echo "node Pod ${pod}: the default CNI manifest is ${have:-unknown} although its machine disables it" >&2
      return 1
    fi
  done
  echo "no node Pod has the default CNI manifest"
  outer -n "${NS}" get clusterresourcesetbindings "${NAME}" -o jsonpath='{range .spec.bindings[*]}{.clusterResourceSetName}: {range .resources[*]}{.kind}/{.name} applied={.applied}{"\n"}{end}{end}'
  if [[ "$(outer -n "${NS}" get clusterresourcesetbindings "${NAME}" -o jsonpath='{.spec.bindings[0].resources[0].applied}')" != true ]]; then
    echo "the ClusterResourceSet did not apply the CNI to ${NAME}" >&2
    return 1
  fi
}

# ha_cluster FLAVOR DESCRIPTION WORKERS: the inner cluster of faults (faults.sh) and persist, Cluster API's
# clusterctl flavor FLAVOR with 3 control planes and WORKERS workers, applied, Available and its Nodes Ready; it
# says how long that took. Its caller (FUNCNAME[1]) needs MODE=capi.
ha_cluster() {
  [[ "${MODE}" == capi ]] || { echo "${FUNCNAME[1]} needs MODE=capi" >&2; return 2; }
  local flavor="$1" description="$2" workers="$3" start
  step "inner cluster ${NAME} (capi, ${description}): 3 control planes, ${workers} workers"
  start=$(date +%s)
  bash "${here}/capi.sh" clusterctl generate cluster "${NAME}" --flavor "${flavor}" \
    --infrastructure "kubernetes:v0.1.0" --target-namespace "${NS}" --kubernetes-version "${K8S_VERSION}" \
    --control-plane-machine-count 3 --worker-machine-count "${workers}" | apply_retrying
  outer -n "${NS}" wait --for=condition=Available "cluster/${NAME}" --timeout=20m
  wait_nodes $((3 + workers))
  echo "3 control planes and ${workers} workers Ready $(( $(date +%s) - start )) s after the apply"
  inner get nodes -o wide
}

# persist is the seed's "persistent control plane with 3 nodes": a cluster of the persistent flavor (etcd,
# kubeadm's and the kubelet's state on a claim per control-plane node, and a stable address per node) loses a
# control-plane node Pod; the provider creates it again on the same claims and address, and it comes back as
# the same Machine, Node and etcd member, with no remediation.
persist() {
  ha_cluster persistent "persistent flavor" 0

  local victim before after start
  victim="$(outer -n "${NS}" get pods -l "cluster.x-k8s.io/cluster-name=${NAME},kindnode.dev/role=control-plane" -o jsonpath='{.items[0].metadata.name}')"
  before="$(outer -n "${NS}" get machines -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{.items[*].metadata.name}')"
  step "delete the node Pod of control-plane Machine ${victim}"
  start=$(date +%s)
  outer -n "${NS}" delete pod "${victim}" --wait=true >/dev/null
  inner get --raw=/readyz >/dev/null
  echo "the inner API server answers with ${victim} gone"
  # Back within 10 minutes: the same Pod name created and Ready again, KubeadmControlPlane's etcd check
  # healthy, its Node Ready (asked last: the inner API answers best once etcd is whole).
  local deadline back=true ready node healthy
  deadline=$(( $(date +%s) + 600 ))
  outer -n "${NS}" wait --for=create --for=condition=Ready "pod/${victim}" --timeout="$(remaining "${deadline}")" >/dev/null &&
    outer -n "${NS}" wait --for=condition=EtcdClusterHealthy kcp -l "cluster.x-k8s.io/cluster-name=${NAME}" --timeout="$(remaining "${deadline}")" >/dev/null &&
    inner wait --for=condition=Ready "node/${victim}" --timeout="$(remaining "${deadline}")" >/dev/null || back=false
  after="$(outer -n "${NS}" get machines -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{.items[*].metadata.name}')"
  if [[ "${back}" != true || "${before}" != "${after}" ]]; then
    ready="$(outer -n "${NS}" get pod "${victim}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
    node="$(inner get node "${victim}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
    healthy="$(outer -n "${NS}" get kcp -l "cluster.x-k8s.io/cluster-name=${NAME}" -o jsonpath='{.items[0].status.conditions[?(@.type=="EtcdClusterHealthy")].status}' || true)"
    echo "${victim} did not come back as the same node: Pod Ready ${ready}, Node Ready ${node}, etcd healthy ${healthy}; Machines ${before} -> ${after}" >&2
    outer -n "${NS}" get kcp,machines,pods,pvc,svc -o wide >&2
    return 1
  fi
  inner get nodes -o wide
  echo "${victim} is back as the same Machine, Node and etcd member, $(( $(date +%s) - start )) s after the loss"
}

down() {
  step "delete the outer cluster, stop Docker"
  bash "${here}/outer.sh" down
  bash "${here}/docker.sh" stop
}

case "${1:-up}" in
  up) up ;;
  create) create ;;
  outer) outer_up ;;
  crossplane) crossplane_up ;;
  crossplane-only) crossplane_only ;;
  faults) faults ;;
  network) network_fault ;;
  persist) persist ;;
  node-faults) node_faults ;;
  namespace-deleted)
    # The cluster NAME of INNER_NAMESPACE, or a new one in a namespace of the same name.
    if [[ "${NS}" == default ]]; then
      NS="${NAME}"
      ensure_namespace
      create
    fi
    namespace_deleted
    ;;
  crs-cni) crs_cni ;;
  check) check ;;
  scale) scale "${2:?workers}" ;;
  delete) delete ;;
  down) down ;;
  all)
    start=$(date +%s)
    base="${NAME}"
    MODE=capi; up; check; node_faults; network_fault; scale 2; check; scale 1; delete
    NAME="${base}-crs" NS="${base}-crs"; ensure_namespace; crs_cni; check; namespace_deleted; NS=default
    NAME="${base}-faults"; faults; delete
    NAME="${base}-persist"; persist; delete
    crossplane_up
    MODE=kindcluster-direct NAME="${base}-xp-direct" CONTROL_PLANES=3; create; check; scale 2; check; scale 1; delete
    CONTROL_PLANES=1
    MODE=kindcluster-capi NAME="${base}-xp-capi"; create; check
    if [[ "${E2E_SCOPE}" == full ]]; then scale 2; check; fi
    delete
    crossplane_only
    MODE=kindcluster-direct NAME="${base}-xp-pkg"; create; check; delete
    down
    echo "end-to-end run (${E2E_SCOPE}) passed in $(( $(date +%s) - start )) s"
    ;;
  *) echo "usage: [MODE=capi|kindcluster-direct|kindcluster-capi] $0 [up|outer|crossplane|crossplane-only|create|check|network|scale N|faults|persist|node-faults|namespace-deleted|crs-cni|delete|down|all]" >&2; exit 2 ;;
esac
