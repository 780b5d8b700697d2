#!/usr/bin/env bash
# clusterctl.sh builds Cluster API's clusterctl from the Go module proxy into bin/clusterctl (no release
# download site is reachable from our machines) and prints its path. The version is pinned in
# hack/tools/clusterctl/go.mod; the binary is rebuilt when that file is newer than it.
#
# Usage: hack/clusterctl.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${root}/bin/clusterctl"
if [[ -x "${bin}" && ! "${bin}" -nt "${root}/hack/tools/clusterctl/go.mod" ]]; then
  rm -f "${bin}"
fi
bash "${root}/hack/capi-build.sh" "$(dirname "${bin}")" clusterctl:sigs.k8s.io/cluster-api/cmd/clusterctl
echo "${bin}"
