# Build, test and package the kindnode provider. Everything comes from the Go module proxy; tools are pinned
# in hack/tools/go.mod and hack/tools/crossplane/go.mod.

GO            ?= go
TOOLS         := $(GO) tool -modfile=$(CURDIR)/hack/tools/go.mod
VERSION       ?= v0.1.0-dev
BIN           := $(CURDIR)/bin
OUTPUT        := $(CURDIR)/_output
XPKG          := $(OUTPUT)/provider-kindnode-$(VERSION).xpkg
PKGS          ?= ./...
TEST_FLAGS    ?= -count=1 -timeout=20m

.PHONY: all
all: generate lint build test

## generate: deepcopy, CRDs (package/provider/crds, config/crd), crossplane-runtime method sets and the manager's ClusterRole (config/rbac/role.yaml, from the +kubebuilder:rbac markers).
.PHONY: generate
generate:
	cd apis && $(GO) generate -tags generate ./...

## check-generate: fail when generated files are out of date, new and uncommitted, or a generated CRD is missing from config/crd/kustomization.yaml.
.PHONY: check-generate
check-generate: generate
	@git diff --exit-code -- apis package config/crd config/rbac && test -z "$$(git ls-files --others --exclude-standard -- apis package config/crd config/rbac)" \
		|| { echo "generated files are stale: run make generate and commit"; exit 1; }
	@for f in config/crd/bases/*.yaml config/crd/kindnode/*.yaml; do \
		grep -qxF -- "- $${f#config/crd/}" config/crd/kustomization.yaml || { echo "$$f is not in config/crd/kustomization.yaml's resources"; exit 1; }; \
	done

## build: the provider manager binary.
.PHONY: build
build:
	$(GO) build -o $(BIN)/provider ./cmd/provider

## testbin: build (once) and print the kube-apiserver/etcd/kubectl the controller tests run against.
.PHONY: testbin
testbin:
	@bash hack/testbin.sh

## test: unit and controller tests against a real kube-apiserver and etcd; builds (once) every program the tests run first, so that go test's timeout measures tests only.
.PHONY: test
test: test-tools
	@assets="$$(bash hack/testbin.sh)" && kwok="$$(bash hack/kwok.sh)" && \
		KUBEBUILDER_ASSETS="$$assets" KWOK_DIR="$$kwok" $(TEST_TOOLS_ENV) $(GO) test $(TEST_FLAGS) $(PKGS)

# The programs the tests run, handed to them by path; a test that needs one and finds no path fails and says
# to run make test. Each Crossplane build says what it builds and how long a cold one takes before it starts;
# hack/testbin.sh (kube-apiserver, etcd, kubectl, kube-controller-manager, in ~/.cache), hack/kwok.sh and
# hack/capi-build.sh (clusterctl) say the same of theirs. The provider and the function are this repository's
# current source, rebuilt incrementally every time.
.PHONY: test-tools
test-tools: $(BIN)/crossplane $(BIN)/crossplane-core $(BIN)/clusterctl build function
TEST_TOOLS_ENV := CROSSPLANE_CLI=$(BIN)/crossplane CROSSPLANE_CORE=$(BIN)/crossplane-core CLUSTERCTL=$(BIN)/clusterctl \
	KINDNODE_PROVIDER=$(BIN)/provider FUNCTION_KINDCLUSTER=$(BIN)/function-kindcluster

## fuzz: run each fuzz target (the bootstrap parser, the KindCluster function's input) for FUZZTIME (default 30s).
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./internal/bootstrap/
	$(GO) test -run='^$$' -fuzz=FuzzRunFunction -fuzztime=$(FUZZTIME) ./internal/function/kindcluster/

## faults: the fault matrix (hack/faults.sh): each fault made to happen and its outcome checked, envtest rows then e2e rows (FAULTS=envtest|e2e for one half); prints the table, writes _output/faults/matrix.md.
.PHONY: faults
faults:
	@bash hack/faults.sh

## bench: the benchmark (test/bench): kube-apiserver + etcd + kwok, the provider as a separate process, BENCH_NODES Pods, then NodePods and KubernetesMachines (BENCH_WORKLOADS); prints tables and PASS/MISS per target, never fails on a miss.
BENCH_NODES ?= 100,1000
BENCH_WORKLOADS ?= nodepod,kubernetesmachine
BENCH_FLAGS ?=
.PHONY: bench
bench: build
	@assets="$$(bash hack/testbin.sh)" && bash hack/kwok.sh >/dev/null && \
		KUBEBUILDER_ASSETS="$$assets" $(GO) run ./test/bench/cmd/bench --nodes=$(BENCH_NODES) --workloads=$(BENCH_WORKLOADS) --provider=$(BIN)/provider $(BENCH_FLAGS)

## bench-go: Go benchmarks (Pod Ready -> NodePod Ready latency against a real API server, in process).
.PHONY: bench-go
bench-go:
	@assets="$$(bash hack/testbin.sh)" && KUBEBUILDER_ASSETS="$$assets" $(GO) test -run='^$$' -bench=. -benchtime=1x ./internal/controller/

## lint: go vet, gofmt and golangci-lint (pinned in hack/tools/golangci-lint/go.mod; .golangci.yml).
.PHONY: lint
lint: $(BIN)/golangci-lint
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	GOLANGCI_LINT_CACHE="$(HOME)/.cache/cluster-api-provider-kubernetes/golangci-lint" $(BIN)/golangci-lint run ./...

$(BIN)/golangci-lint: hack/tools/golangci-lint/go.mod hack/tools/golangci-lint/go.sum
	cd hack/tools/golangci-lint && $(GO) build -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# The Crossplane CLI and core are built alike, statically linked, so that the packages both use at the same
# version compile once; core's flags are the ones its image needs (hack/images/build.sh copies
# bin/crossplane-core). Core is stamped with its version, as Crossplane's releases are: packages check their
# crossplane.version against it.
CROSSPLANE_CLI_VERSION  := $(shell awk '$$1 == "github.com/crossplane/cli/v2" { print $$2 }' hack/tools/crossplane/go.mod)
CROSSPLANE_CORE_VERSION := $(shell awk '$$1 == "github.com/crossplane/crossplane/v2" { print $$2 }' hack/tools/crossplane-core/go.mod)
BUILD_FLAGS_crossplane      := CGO_ENABLED=0 GOWORK=off $(GO) build -trimpath -ldflags "-s -w"
BUILD_FLAGS_crossplane-core := CGO_ENABLED=0 GOWORK=off $(GO) build -trimpath \
	-ldflags "-s -w -X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$(CROSSPLANE_CORE_VERSION)"

# The same files by their names relative to the repository, as hack/images/build.sh and people ask for them.
bin/crossplane bin/crossplane-core bin/clusterctl: bin/%: $(BIN)/%

# bin/NAME.flags holds the command that builds bin/NAME and changes only with it, so that a binary built
# otherwise (by an older Makefile) is built again, as one whose pin changed is.
$(BIN)/%.flags: FORCE
	@mkdir -p $(BIN) && echo '$(BUILD_FLAGS_$*)' | cmp -s - $@ || echo '$(BUILD_FLAGS_$*)' >$@
.PHONY: FORCE

$(BIN)/crossplane: hack/tools/crossplane/go.mod hack/tools/crossplane/go.sum $(BIN)/crossplane.flags
	@echo "make: building the Crossplane CLI $(CROSSPLANE_CLI_VERSION) into bin/crossplane (cold: 5-10 min on 2 cores; cached afterwards)"
	cd hack/tools/crossplane && $(BUILD_FLAGS_crossplane) -o $@.tmp github.com/crossplane/cli/v2/cmd/crossplane
	@mv $@.tmp $@

# Helm, for the e2e run's Crossplane install (Crossplane's own chart, from its module).
$(BIN)/helm: hack/tools/helm/go.mod
	cd hack/tools/helm && $(GO) build -o $(BIN)/helm \
		-ldflags "-X helm.sh/helm/v3/internal/version.version=$$($(GO) list -m -f '{{.Version}}' helm.sh/helm/v3)" \
		helm.sh/helm/v3/cmd/helm

## xpkg: the Crossplane provider package (package/provider + examples/kindnode and examples/provider) as an .xpkg file.
.PHONY: xpkg
xpkg: $(BIN)/crossplane
	@rm -rf $(OUTPUT)/provider-examples && mkdir -p $(OUTPUT)/provider-examples
	@cp -r examples/kindnode examples/provider $(OUTPUT)/provider-examples/
	$(BIN)/crossplane xpkg build --package-root=package/provider --examples-root=$(OUTPUT)/provider-examples --package-file=$(XPKG)
	@echo "wrote $(XPKG)"

## --- KindCluster: composition function and Configuration (package/function, package/configuration) ---

FUNCTION_XPKG      := $(OUTPUT)/function-kindcluster-$(VERSION).xpkg
CONFIGURATION_XPKG := $(OUTPUT)/configuration-kindcluster-$(VERSION).xpkg

## function: the KindCluster composition function binary (bin/function-kindcluster).
.PHONY: function
function:
	$(GO) build -o $(BIN)/function-kindcluster ./cmd/function-kindcluster

## xpkg-function: the function's Crossplane package; FUNCTION_RUNTIME_IMAGE=localhost/kindnode/function-kindcluster:dev (built by make images) embeds that runtime image from the local Docker engine, without it the package has none (see README).
FUNCTION_RUNTIME_IMAGE ?=
.PHONY: xpkg-function
xpkg-function: $(BIN)/crossplane
	@mkdir -p $(OUTPUT)
	$(BIN)/crossplane xpkg build --package-root=package/function --examples-root=examples/kindcluster --package-file=$(FUNCTION_XPKG) \
		$(if $(FUNCTION_RUNTIME_IMAGE),--embed-runtime-image=$(FUNCTION_RUNTIME_IMAGE))
	@echo "wrote $(FUNCTION_XPKG)"

## xpkg-configuration: the Configuration package with the KindCluster XRDs and Compositions.
.PHONY: xpkg-configuration
xpkg-configuration: $(BIN)/crossplane
	@mkdir -p $(OUTPUT)
	$(BIN)/crossplane xpkg build --package-root=package/configuration --examples-root=examples/kindcluster --package-file=$(CONFIGURATION_XPKG)
	@echo "wrote $(CONFIGURATION_XPKG)"

## xpkg-all: the provider, function and configuration packages.
.PHONY: xpkg-all
xpkg-all: xpkg xpkg-function xpkg-configuration

# The one build of Crossplane core: test/render, test/crossplane and the image (hack/images/build.sh) run it.
$(BIN)/crossplane-core: hack/tools/crossplane-core/go.mod hack/tools/crossplane-core/go.sum $(BIN)/crossplane-core.flags
	@echo "make: building Crossplane core $(CROSSPLANE_CORE_VERSION) into bin/crossplane-core (cold: 5-10 min on 2 cores; cached afterwards)"
	cd hack/tools/crossplane-core && $(BUILD_FLAGS_crossplane-core) -o $@.tmp github.com/crossplane/crossplane/v2/cmd/crossplane
	@mv $@.tmp $@

## render: crossplane composition render over the KindCluster examples, compared with test/render/testdata/golden (also part of make test).
.PHONY: render
render: $(BIN)/crossplane $(BIN)/crossplane-core
	@assets="$$(bash hack/testbin.sh)" && KUBEBUILDER_ASSETS="$$assets" $(TEST_TOOLS_ENV) $(GO) test -count=1 ./test/render/

## crossplane-envtest: Crossplane core installs the function and configuration packages and composes the KindCluster examples on a real API server, with function-kindcluster and the provider's controllers (test/crossplane; also part of make test).
.PHONY: crossplane-envtest
crossplane-envtest: $(BIN)/crossplane $(BIN)/crossplane-core function
	@assets="$$(bash hack/testbin.sh)" && KUBEBUILDER_ASSETS="$$assets" $(TEST_TOOLS_ENV) $(GO) test -count=1 -timeout=20m ./test/crossplane/

## render-golden: rewrite test/render/testdata/golden from the current function; review the diff before committing.
.PHONY: render-golden
render-golden: $(BIN)/crossplane $(BIN)/crossplane-core
	CROSSPLANE_CLI=$(BIN)/crossplane CROSSPLANE_CORE=$(BIN)/crossplane-core $(GO) test -count=1 -run TestRender ./test/render/ -update

## run: the manager against the current kubeconfig (install package/provider/crds first).
.PHONY: run
run:
	$(GO) run ./cmd/provider --debug --metrics-bind-address=0 --health-probe-bind-address=0

## demo: the main job: Docker, images built offline, an outer kind cluster, the provider in it and an inner cluster (1 control plane + 1 worker) booted in Pods; prints the inner nodes. Leaves it running (make demo-down).
.PHONY: demo
demo:
	@bash hack/e2e/run.sh up

## demo-down: delete the demo's outer cluster and stop the Docker engine it started.
.PHONY: demo-down
demo-down:
	@bash hack/e2e/run.sh down

## e2e: the end-to-end run: demo, a Pod on each inner worker, the overlay broken and mended, scale workers 1->2, delete and check nothing is left, faults, persistence, Crossplane modes, demo-down.
.PHONY: e2e
e2e:
	@bash hack/e2e/run.sh all

## images: build (or reuse) every image of the node and the outer cluster, offline (hack/images/build.sh).
.PHONY: images
images:
	@bash hack/e2e/docker.sh start && bash hack/images/build.sh

## demo-local: no containers: a local API server, the provider against it, the example NodeService/NodePod (the test plays the kubelet).
.PHONY: demo-local
demo-local: build
	@assets="$$(bash hack/testbin.sh)" && KUBEBUILDER_ASSETS="$$assets" $(GO) run ./hack/demo --provider=$(BIN)/provider

.PHONY: help
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## //'

## --- Cluster API (clusterctl) release of the infrastructure provider "kubernetes" ---

CAPK_VERSION  ?= v0.1.0
IMG           ?= localhost/kindnode/capkn-manager:dev

## release-artifacts: clusterctl repository in _output/repository/infrastructure-kubernetes/$(CAPK_VERSION) and _output/clusterctl.yaml (IMG sets the manager image).
.PHONY: release-artifacts
release-artifacts:
	@IMG="$(IMG)" bash hack/release-artifacts.sh "$(OUTPUT)" "$(CAPK_VERSION)"

## clusterctl: Cluster API's clusterctl, pinned in hack/tools/clusterctl/go.mod, built into bin/clusterctl.
.PHONY: clusterctl
clusterctl: $(BIN)/clusterctl

$(BIN)/clusterctl: hack/tools/clusterctl/go.mod
	@bash hack/clusterctl.sh >/dev/null
