#!/usr/bin/env bash
# faults.sh is make faults: the fault matrix. Each row is one fault, made to happen by an automated test that
# checks the stated outcome and that nothing is lost or left behind (no orphan outer Pod, Service, claim,
# PodDisruptionBudget or Secret, no duplicate node Pod, no finalizer stuck). Rows that need no real node run
# against a real kube-apiserver and etcd (envtest, internal/controller); rows that need real nodes run in the
# e2e outer cluster (hack/e2e/nodefaults.sh and faults.sh, through hack/e2e/run.sh). It prints the table:
# fault, where it ran, expected, observed, PASS/FAIL, and writes it as Markdown to _output/faults/matrix.md, which the
# README quotes.
#
#   FAULTS=envtest  only the envtest rows (a minute or two, no Docker);
#   FAULTS=e2e      only the e2e rows: an outer cluster (started if needed) and the demo inner cluster, whose
#                   nodes are hurt, a cluster in a namespace of its own that is deleted, and run.sh faults
#                   (an outer node lost, another drained; about a quarter of an hour);
#   unset: both.
# It exits non-zero when a row fails.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo}"
out="${repo}/_output/faults"
mkdir -p "${out}"
rows="${out}/rows.tsv"
: > "${rows}"

# The envtest rows: test name, fault, expected. The test logs what it observed ("observed: ...").
envtest_rows=(
  "TestFaultOuterAPIServerRestart|outer API server restarts mid-reconcile (5 s away)|every NodePod has its one node Pod and is Ready; a NodePod deleted meanwhile is gone with its Pod"
  "TestFaultProviderKilledAfterCreate|provider killed between a create and its status write (node Pod; a Machine's NodePod)|the next provider finds what was created by name: same Pod, same NodePod, Machine provisioned"
  "TestNodePodBootstrapOutlivesTheProvider|provider killed mid-bootstrap (kubeadm init running)|the next provider follows the run in the node; no command runs twice"
  "TestNodePodLostPod|node Pod deleted out of band, each podLossPolicy|Recreate: a new Pod (and bootstrap); Report: Ready=False PodLost, no Pod comes"
  "TestFaultBootstrapData|bootstrap data Secret late, missing, of an unsupported format, deleted after bootstrap|a condition names the Secret or format and nothing runs; late data bootstraps; a bootstrapped node stays Ready"
  "TestFaultProviderConfig|ProviderConfig missing, then created; its kubeconfig Secret deleted, then restored|conditions say so; the node Pod is kept; recovery recovers"
  "TestUnknownProviderConfigKind|ProviderConfig of an unknown kind|the API server refuses it, naming spec.providerConfigRef.kind"
  "TestFaultTwoReplicas|two provider replicas, leader stopped mid-run|the Lease is released and the other replica leads in seconds and finishes the run"
  "TestFaultLoadBalancerWithoutAddress|a LoadBalancer Service that never gets an address|the NodeService's condition says it waits for one"
  "TestFaultClaimPending|a PersistentVolumeClaim that stays Pending (no StorageClass)|a condition names the claim and why"
  "TestFaultNamespaceDeleted|a cluster's namespace deleted (every object at once, as the namespace controller does)|every finalizer lets go; nothing left"
)

# envtest_matrix runs the envtest rows and appends them to the table.
envtest_matrix() {
  local names=() row
  for row in "${envtest_rows[@]}"; do names+=("${row%%|*}"); done
  local assets log="${out}/envtest.log"
  assets="$(bash hack/testbin.sh)"
  echo "==> envtest rows: ${names[*]}"
  KUBEBUILDER_ASSETS="${assets}" go test ./internal/controller/ -count=1 -v -timeout 20m \
    -run "^($(IFS='|'; echo "${names[*]}"))\$" > "${log}" 2>&1 || true
  local name fault expected obs result
  for row in "${envtest_rows[@]}"; do
    IFS='|' read -r name fault expected <<<"${row}"
    # A test's log lines are printed under it, between its === RUN and its --- PASS/FAIL.
    obs="$(awk -v t="${name}" '
      $0 ~ "^=== (RUN|CONT|NAME) +" t "$" { in_t = 1; next }
      /^=== (RUN|CONT|NAME) / { in_t = 0 }
      in_t && /: observed: / { sub(/^.*: observed: /, ""); print; exit }' "${log}")"
    if grep -q -- "^--- PASS: ${name} " "${log}"; then
      result=PASS
    elif grep -q -- "^--- FAIL: ${name} " "${log}"; then
      result=FAIL
      obs="${obs:-$(grep -A3 -- "^--- FAIL: ${name} " "${log}" | sed -n 2p | sed 's/^ *//')}"
    else
      result=FAIL obs="did not run (see ${log})"
    fi
    printf 'envtest\t%s\t%s\t%s\t%s\n' "${fault}" "${expected}" "${obs:-passed}" "${result}" >> "${rows}"
  done
}

# e2e_matrix runs the e2e rows, which append to the table themselves (FAULT_ROWS): on the outer cluster of
# make demo (started if it is not up), a cluster of 1 + 1 whose worker is hurt, one whose namespace is
# deleted, and the 3 + 2 cluster of run.sh faults.
e2e_matrix() {
  export FAULT_ROWS="${rows}"
  bash hack/e2e/run.sh outer
  e2e faults-node create && e2e faults-node node-faults && e2e faults-node delete || true
  e2e faults-namespace namespace-deleted || true
  e2e faults-ha faults && e2e faults-ha delete || true
}

# e2e CLUSTER COMMAND runs a command of run.sh for the inner cluster CLUSTER; when it fails, a row says so (a
# fault's own row, if it was in one, says which).
e2e() {
  INNER_CLUSTER="$1" bash hack/e2e/run.sh "$2" && return
  printf 'e2e\t%s\t%s\t%s\t%s\n' "run.sh $2 (cluster $1)" "succeeds" "failed: see the log above" FAIL >> "${rows}"
  return 1
}

case "${FAULTS:-all}" in
  envtest) envtest_matrix ;;
  e2e) e2e_matrix ;;
  all) envtest_matrix; e2e_matrix ;;
  *) echo "FAULTS is envtest, e2e or unset" >&2; exit 2 ;;
esac

# The table: observations cut at 300 characters (the tests' logs hold the rest).
{
  echo "| Fault | Where | Expected | Observed | Result |"
  echo "|---|---|---|---|---|"
  awk -F '\t' '{ o = $4; if (length(o) > 300) o = substr(o, 1, 297) "..."; gsub(/\|/, "\\|", o); gsub(/\|/, "\\|", $2); gsub(/\|/, "\\|", $3)
    printf "| %s | %s | %s | %s | %s |\n", $2, $1, $3, o, $5 }' "${rows}"
} > "${out}/matrix.md"
echo
awk -F '\t' '{ printf "%s  %s (%s)\n      expected: %s\n      observed: %s\n", $5, $2, $1, $3, $4 }' "${rows}"
echo
echo "$(grep -c $'\tPASS$' "${rows}" || true) of $(wc -l < "${rows}") rows PASS; Markdown: ${out#"${repo}/"}/matrix.md"
! grep -q $'\tFAIL$' "${rows}"
