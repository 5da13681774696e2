# uds-egress: build, test and ship the Kubewarden policy.
#
# Targets used by others (names are fixed): policy.wasm, noop-policy.wasm, annotated-policy.wasm,
# e2e-tests, push, test, examples.

SHELL := /bin/bash

WASM_TARGET := wasm32-wasip1
# Cargo's target directory; honours CARGO_TARGET_DIR like cargo itself.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
WASM_OUT := $(TARGET_DIR)/$(WASM_TARGET)/policy

# The CRDs the schema tests check against, this checkout's: set at run time, because a test
# binary cached in a shared CARGO_TARGET_DIR may have been compiled in a checkout at another path.
export SCHEMAS_DIR ?= $(CURDIR)/e2e/fixtures/crds:$(CURDIR)/deploy/crds

# One version everywhere: Cargo.toml, metadata.yml and the release tag v$(VERSION).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
REGISTRY ?= ghcr.io/uds-egress/policies/uds-egress-policy
# kwctl annotate embeds this file as the policy's usage text.
USAGE_FILE := $(firstword $(wildcard README.md docs/policy.md))

# cargo decides whether a rebuild is needed, so the wasm targets always ask it.
.PHONY: policy.wasm noop-policy.wasm lookups-only-policy.wasm annotated-policy.wasm e2e-tests engine-tests push test examples \
	fmt lint wasm-target core-wasm check-version

wasm-target:
	@if command -v rustup >/dev/null 2>&1; then \
		rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET) >&2; \
	fi

# Runs Debian's wasm-opt -Os on $(1) when it can: installs binaryen quietly if missing and root,
# and keeps the unoptimised module whenever anything is unavailable or fails.
define wasm_opt
	@if ! command -v wasm-opt >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing binaryen for wasm-opt" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
		     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null 2>&1; } \
		|| true; \
	fi; \
	if command -v wasm-opt >/dev/null 2>&1; then \
		if wasm-opt -Os --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
			--enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types \
			$(1) -o $(1).opt 2>$(1).opt.log; then \
			mv $(1).opt $(1); rm -f $(1).opt.log; \
		else \
			echo "wasm-opt failed, keeping the unoptimised $(1):"; cat $(1).opt.log; rm -f $(1).opt $(1).opt.log; \
		fi; \
	else \
		echo "wasm-opt not available: $(1) is not optimised"; \
	fi; \
	echo "$(1): $$(stat -c %s $(1)) bytes"
endef

policy.wasm: wasm-target
	cargo build --target $(WASM_TARGET) --profile policy -p uds-egress-policy
	cp $(WASM_OUT)/uds_egress_policy.wasm $@
	$(call wasm_opt,$@)

# The no-op policy: the baseline of the benchmark.
noop-policy.wasm: wasm-target
	cargo build --target $(WASM_TARGET) --profile policy -p noop-policy
	cp $(WASM_OUT)/noop_policy.wasm $@
	$(call wasm_opt,$@)

# The engine's floor under the policy's lookups (figure 6 of the benchmark): the policy's list
# calls, replies discarded.
lookups-only-policy.wasm: wasm-target
	cargo build --target $(WASM_TARGET) --profile policy -p lookups-only-policy
	cp $(WASM_OUT)/lookups_only_policy.wasm $@
	$(call wasm_opt,$@)

# The real engines (kwctl, policy-server, kube-apiserver, etcd, docker-registry), found by
# e2e/engines/find: $$UDS_EGRESS_ENGINES, PATH, or the engines kept beside this checkout.
# Recursive variables: looked up only by the targets that use them.
engine = $(shell e2e/engines/find $(1) 2>/dev/null | sed -n 's/^$(1)=//p')
KWCTL = $(or $(call engine,kwctl),$(error kwctl not found: install it, or set UDS_EGRESS_ENGINES))

annotated-policy.wasm: policy.wasm metadata.yml
	$(KWCTL) annotate -m metadata.yml $(if $(USAGE_FILE),-u $(USAGE_FILE)) -o $@ policy.wasm

# The suites on the real engines: NAME=BATS_FILE:ENGINES it needs. Each runs only where its
# engines are found, and `run-suites` says which could not run (UDS_EGRESS_REQUIRE_ENGINES=1, as
# .ci/run sets it, makes that a failure).
CLUSTER_ENGINES := kube-apiserver,etcd,kubectl,jq,bats
KWCTL_SUITE := kwctl=e2e.bats:kwctl,$(CLUSTER_ENGINES)
OCI_SUITE := oci=e2e/engines/oci.bats:kwctl,policy-server,docker-registry,skopeo,$(CLUSTER_ENGINES)
# The policy on policy-server as deploy/policy/ runs it; and behind the API server as its webhook.
POLICY_SERVER_SUITE := policy-server=e2e/engines/policy-server.bats:policy-server,$(CLUSTER_ENGINES)
WEBHOOK_SUITE := webhook=e2e/engines/webhook.bats:policy-server,openssl,$(CLUSTER_ENGINES)
# The generator's image (builds it through `make image-push`) and deploy/ on the API server.
IMAGE_SUITE := image=e2e/engines/image.bats:buildah,skopeo,docker-registry,jq,bats
DEPLOY_SUITE := deploy=e2e/engines/deploy.bats:$(CLUSTER_ENGINES)
# The controller (`uds-egress run`) against the API server, as its own user under deploy/generator's RBAC.
GENERATOR_SUITE := generator=e2e/engines/generator.bats:$(CLUSTER_ENGINES)
ENGINE_SUITES := $(KWCTL_SUITE) $(OCI_SUITE) $(IMAGE_SUITE) $(DEPLOY_SUITE) $(GENERATOR_SUITE) \
	$(POLICY_SERVER_SUITE) $(WEBHOOK_SUITE)

# Kubewarden's name for the kwctl suite.
e2e-tests: annotated-policy.wasm
	e2e/engines/run-suites $(KWCTL_SUITE)

# The annotated module needs kwctl; without kwctl the suites that need it are reported as not run.
engine-tests:
	$(if $(call engine,kwctl),$(MAKE) --no-print-directory annotated-policy.wasm)
	e2e/engines/run-suites $(ENGINE_SUITES)

# Artifact Hub package metadata from metadata.yml, at its io.kubewarden.policy.version (kwctl
# 1.31 ignores the deprecated --version; check-version keeps it equal to Cargo.toml's). Any
# */artifacthub-pkg.yml: e2e.bats regenerates it in a temp dir to check the committed one.
%/artifacthub-pkg.yml: metadata.yml Cargo.toml
	$(KWCTL) scaffold artifacthub --metadata-path metadata.yml --output $@

# Pushes the annotated module to $(REGISTRY):v$(VERSION) and prints its immutable reference
# (REPOSITORY@sha256:..., what to sign and to pin) on stdout. It is the command that the release
# workflow's kubewarden/github-actions policy-release step runs with oci-target as REGISTRY
# (`kwctl push -o json annotated-policy.wasm <oci-target>:v<version>`, then its immutable_ref).
# SOURCES=FILE: a kwctl sources file (`insecure_sources: ["host:port"]` for a plain-HTTP or
# self-signed registry, `source_authorities` for a private CA), passed as --sources-path.
SOURCES ?=
push: annotated-policy.wasm
	@echo "kwctl push annotated-policy.wasm $(REGISTRY):v$(VERSION)$(if $(SOURCES), (sources: $(SOURCES)))" >&2
	@set -o pipefail; $(KWCTL) push -o json $(if $(SOURCES),--sources-path '$(SOURCES)') annotated-policy.wasm \
		'$(REGISTRY):v$(VERSION)' | sed -n 's/.*"immutable_ref": *"\([^"]*\)".*/\1/p' | grep .

# The generator's container image (Containerfile): the static musl binary `uds-egress` in an
# image from scratch. `make image` builds the binary here and the image with Debian's buildah,
# offline; the release workflow builds the same Containerfile multi-arch from source. One tag
# scheme everywhere, the release's: $(IMAGE_REPO):v$(VERSION) (deploy/generator names it).
MUSL_TARGET := x86_64-unknown-linux-musl
IMAGE_REPO := ghcr.io/uds-egress/uds-egress
IMAGE := $(IMAGE_REPO):v$(VERSION)
# The build context that takes the place of the Containerfile's `build` stage: the binary alone.
IMAGE_CONTEXT := $(TARGET_DIR)/image/context
# The image's size in bytes (its one layer, uncompressed), written by `image`, read by `bench`.
IMAGE_SIZE_FILE := $(TARGET_DIR)/image/size-bytes
# The commit the image is built from (`-dirty` when the work tree differs from it), and its time
# as the image's timestamps: the same binary and commit give the same image, digest included.
IMAGE_REVISION = $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
IMAGE_TIMESTAMP = $(or $(shell git log -1 --format=%ct 2>/dev/null),0)

.PHONY: image image-binary musl-target image-push

# The musl target, and Debian's musl-tools for musl-gcc (ring compiles C), installed quietly when
# missing and root (as wasm_opt installs binaryen).
musl-target:
	@if command -v rustup >/dev/null 2>&1; then \
		rustup target list --installed | grep -qx '$(MUSL_TARGET)' || rustup target add $(MUSL_TARGET) >&2; \
	fi
	@if ! command -v musl-gcc >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing musl-tools for musl-gcc" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
		     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null 2>&1; } \
		|| true; \
	fi
	@command -v musl-gcc >/dev/null 2>&1 || { echo "musl-gcc not found: install musl-tools"; exit 1; }

# Stripped (CARGO_PROFILE_RELEASE_STRIP, as the Containerfile's build stage does): symbols are
# most of a static binary's size and no stack trace of a release build needs them.
image-binary: musl-target
	CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --target $(MUSL_TARGET) -p uds-egress-generator
	mkdir -p $(IMAGE_CONTEXT)
	cp $(TARGET_DIR)/$(MUSL_TARGET)/release/uds-egress $(IMAGE_CONTEXT)/uds-egress

# Debian's buildah and skopeo (and jq), found or installed by e2e/engines/find.
BUILDAH = $(or $(call engine,buildah),$(error buildah not found: install it (Debian: buildah)))
SKOPEO = $(or $(call engine,skopeo),$(error skopeo not found: install it (Debian: skopeo)))
JQ = $(or $(call engine,jq),$(error jq not found: install it (Debian: jq)))

# The `build` stage is replaced by the binary's folder and the final stage has no RUN step, so
# buildah starts no container: no daemon, no network (--network none, --pull=false: FROM scratch
# pulls nothing). The image it replaces under $(IMAGE), if any, is removed unless still tagged.
# The image's size is its one layer's, as stored (uncompressed).
image: image-binary
	@old=$$($(BUILDAH) images -q --no-trunc $(IMAGE) 2>/dev/null); \
	$(BUILDAH) build --layers=false --network none --pull=false --timestamp $(IMAGE_TIMESTAMP) \
		-f Containerfile --build-context build=$(IMAGE_CONTEXT) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(IMAGE_REVISION) \
		-t $(IMAGE) $(IMAGE_CONTEXT) >&2 || exit 1; \
	new=$$($(BUILDAH) images -q --no-trunc $(IMAGE)); \
	if [ -n "$$old" ] && [ "$$old" != "$$new" ]; then $(BUILDAH) rmi "$$old" >/dev/null 2>&1 || true; fi
	@set -o pipefail; $(SKOPEO) inspect --raw containers-storage:$(IMAGE) 2>/dev/null \
		| $(JQ) '[.layers[].size] | add' > $(IMAGE_SIZE_FILE)
	@echo "$(IMAGE): $$(cat $(IMAGE_SIZE_FILE)) bytes (uncompressed)" >&2

# Pushes the image to $(REGISTRY):v$(VERSION), REGISTRY being a repository as for `push`
# (default $(IMAGE_REPO): the policy's default REGISTRY is not this image's), and prints its
# immutable reference REPOSITORY@sha256:... on stdout. INSECURE_REGISTRY=1: plain HTTP or an
# unverified certificate (a test registry on 127.0.0.1).
INSECURE_REGISTRY ?=
IMAGE_PUSH_REPO = $(if $(filter command line environment,$(origin REGISTRY)),$(REGISTRY),$(IMAGE_REPO))
image-push: image
	@echo "buildah push $(IMAGE) docker://$(IMAGE_PUSH_REPO):v$(VERSION)" >&2
	@$(BUILDAH) push -q $(if $(filter 1,$(INSECURE_REGISTRY)),--tls-verify=false) \
		--digestfile $(TARGET_DIR)/image/pushed-digest $(IMAGE) docker://$(IMAGE_PUSH_REPO):v$(VERSION) >&2
	@echo "$(IMAGE_PUSH_REPO)@$$(cat $(TARGET_DIR)/image/pushed-digest)"

# `make -s print-VARIABLE` prints a variable's value (the suites ask for VERSION and IMAGE).
print-%:
	@echo '$($*)'

fmt:
	cargo fmt --all -- --check

# Shipped code (libraries and binaries) under the workspace lints, which deny unwrap, expect, panic
# and indexing; then the tests, benchmarks and examples, where a panic is how a check fails. Cargo
# has no per-target lints, and clippy's in-test allowances do not reach integration-test helpers.
TEST_PANICS := -A clippy::unwrap_used -A clippy::expect_used -A clippy::panic -A clippy::indexing_slicing
lint:
	cargo clippy --workspace --lib --bins -- -D warnings
	cargo clippy --workspace --tests --benches --examples -- -D warnings $(TEST_PANICS)

# The core must stay buildable for wasm on its own (the policy's only view of it is a dependency).
core-wasm: wasm-target
	cargo build -p uds-egress-core --target $(WASM_TARGET) --release

# The version of Cargo.toml must be the one metadata.yml announces (and the release tag).
check-version:
	@grep -q "io.kubewarden.policy.version: $(VERSION)$$" metadata.yml \
		|| { echo "metadata.yml does not announce version $(VERSION) of Cargo.toml"; exit 1; }

# FUZZ_SMOKE_SECONDS: how long `test` runs each fuzz target (a smoke run; `make fuzz` for longer).
FUZZ_SMOKE_SECONDS ?= 25
test: fmt lint check-version policy.wasm noop-policy.wasm core-wasm
	cargo test --workspace
	$(MAKE) --no-print-directory engine-tests
	BENCH_QUICK=1 $(MAKE) --no-print-directory bench
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(MAKE) --no-print-directory fuzz

# The main job on the bundled examples: every example Package goes through the built policy.wasm in
# a real WebAssembly runtime (the project's waPC test host, the same wasmtime stack as Kubewarden's
# policy-server; the other examples are the cluster its context-aware lookups see), which prints
# each verdict, warning and mutation; then the admitted, mutated Packages are rendered into the
# Istio egress objects. `make e2e-tests` runs the policy through kwctl where kwctl is installed.
EXAMPLES := $(sort $(wildcard examples/*.yaml))
ADMITTED_DIR := $(TARGET_DIR)/examples-admitted
examples: policy.wasm
	cargo build -q -p uds-egress-wapc-test-host --bin policy-run -p uds-egress-generator --bin uds-egress
	rm -rf $(ADMITTED_DIR)
	@echo "### 1. Admission: the example Packages through policy.wasm"
	$(TARGET_DIR)/debug/policy-run --policy policy.wasm $(foreach f,$(EXAMPLES),--context $(f)) \
		--admitted-out $(ADMITTED_DIR) $(EXAMPLES)
	@echo "### 2. Generation: the Istio egress objects of the admitted, mutated Packages"
	$(TARGET_DIR)/debug/uds-egress render $(ADMITTED_DIR)/*.json

# The benchmark suite with budgets (docs/performance.md): prints one table, exits non-zero when a
# budget is missed. BENCH_QUICK=1 (run by `test`): debug builds, small sizes, few iterations; the
# budgets are reported, not enforced, but a figure that cannot be measured still fails.
BENCH_DIR := $(abspath $(TARGET_DIR)/bench)
BENCH_PROFILE := $(if $(filter-out 0,$(BENCH_QUICK)),dev,release)
BENCH_BIN := $(TARGET_DIR)/$(if $(filter dev,$(BENCH_PROFILE)),debug,release)
# --workspace with the benches (dev-dependencies on) resolves features as `cargo test --workspace`
# does, so the quick run reuses the test build instead of compiling wasmtime once more.
BENCH_CARGO := --profile $(BENCH_PROFILE) --workspace

# Figure 5, the controller on the real kube-apiserver (bench/api-server/controller-figures):
# PACKAGES UPDATES; the quick run syncs 50. Measured wherever the engines are found.
API_SERVER_FIGURES := $(BENCH_DIR)/api-server.json
API_SERVER_SIZE := $(if $(filter dev,$(BENCH_PROFILE)),50 5,1000 50)
API_SERVER_ENGINES := kube-apiserver etcd kubectl jq
# Figure 6, the policy on kwctl and policy-server with its lookups answered by kube-apiserver
# (bench/api-server/policy-figures): SECONDS per measurement, then the Packages stored.
POLICY_ENGINE_FIGURES := $(BENCH_DIR)/policy-engines.json
POLICY_ENGINE_SIZE := $(if $(filter dev,$(BENCH_PROFILE)),1 0 20 200,5 0 200 2000)
# kwctl bench makes 5,000 evaluations whatever it is told: ~65 ms each at 2,000 Packages.
KWCTL_BENCH_LIMIT := $(if $(filter dev,$(BENCH_PROFILE)),120,900)
POLICY_ENGINES := $(API_SERVER_ENGINES) kwctl policy-server wrk

.PHONY: bench
# The full run measures the generator image too (built once, then cheap); the quick run reads
# its size only if an earlier `make image` left it (see bench/src/image_size.rs).
bench: policy.wasm noop-policy.wasm lookups-only-policy.wasm $(if $(filter dev,$(BENCH_PROFILE)),,image)
	cargo build $(BENCH_CARGO) --bins --bench desired_state
	mkdir -p $(BENCH_DIR) && rm -f $(API_SERVER_FIGURES) $(POLICY_ENGINE_FIGURES)
	@if path=$$(e2e/engines/engine-path $(POLICY_ENGINES)); then \
		$(MAKE) --no-print-directory annotated-policy.wasm >&2 || exit 1; \
		echo "### figure 6: the policy on kwctl and policy-server ($(POLICY_ENGINE_SIZE): seconds, Packages)"; \
		PATH=$$path POLICY=annotated-policy.wasm LOOKUPS_ONLY=lookups-only-policy.wasm NOOP=noop-policy.wasm \
			POLICY_WORKLOAD=$(BENCH_BIN)/policy-workload KWCTL_BENCH_LIMIT=$(KWCTL_BENCH_LIMIT) \
			bench/api-server/policy-figures $(POLICY_ENGINE_FIGURES) $(POLICY_ENGINE_SIZE) || exit 1; \
	else echo "figure 6 not measured: the engines were not found"; fi
	@if path=$$(e2e/engines/engine-path $(API_SERVER_ENGINES)); then \
		echo "### figure 5: the controller on kube-apiserver ($(API_SERVER_SIZE): Packages, updates)"; \
		PATH=$$path UDS_EGRESS_BIN=$(BENCH_BIN)/uds-egress \
			bench/api-server/controller-figures $(API_SERVER_FIGURES) $(API_SERVER_SIZE) || exit 1; \
	else echo "figure 5 not measured: the engines were not found"; fi
	rm -rf $(BENCH_DIR)/criterion/desired_state
	CRITERION_HOME=$(BENCH_DIR)/criterion cargo bench $(BENCH_CARGO) --bench desired_state
	$(BENCH_BIN)/uds-egress-bench --policy policy.wasm --noop noop-policy.wasm \
		--uds-egress $(BENCH_BIN)/uds-egress --criterion-home $(BENCH_DIR)/criterion --work $(BENCH_DIR) \
		--image-size $(IMAGE_SIZE_FILE) --api-server $(API_SERVER_FIGURES) --policy-engines $(POLICY_ENGINE_FIGURES)

# Fuzzing (fuzz/README.md): builds the seed corpora, then runs each cargo-fuzz target for
# FUZZ_SECONDS seconds, one after another in one process each (the machines have 2 cores). Needs
# the nightly toolchain; installs cargo-fuzz when it is missing. The instrumented build has its own
# target dir, under $(CARGO_TARGET_DIR)/fuzz when that is set so that CI caches it with the rest.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := request_bytes package_structured render_sets list_replies
FUZZ_TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(abspath $(CARGO_TARGET_DIR))/fuzz,$(CURDIR)/fuzz/target)
FUZZ_CARGO := CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) cargo +nightly
# No sanitizer: the code is safe Rust, and ASan would cost most of the executions.
FUZZ_FLAGS := --fuzz-dir fuzz --sanitizer none

.PHONY: fuzz fuzz-tools fuzz-corpus
fuzz-tools:
	@rustup toolchain list 2>/dev/null | grep -q '^nightly' \
		|| { echo "fuzz needs the nightly toolchain (rustup toolchain install nightly)"; exit 1; }
	@command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

fuzz-corpus:
	$(FUZZ_CARGO) run -q --manifest-path fuzz/Cargo.toml -p uds-egress-fuzz-seed -- $(CURDIR) $(CURDIR)/fuzz/corpus

fuzz: fuzz-tools fuzz-corpus
	$(FUZZ_CARGO) fuzz build $(FUZZ_FLAGS)
	@for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		$(FUZZ_CARGO) fuzz run $(FUZZ_FLAGS) $$target fuzz/corpus/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
			|| exit 1; \
	done
