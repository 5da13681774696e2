#!/usr/bin/env bats
# The generator's container image through a real OCI registry: `make image-push` builds it (the
# static musl binary, then buildah from the Containerfile, offline) and pushes it to Debian's
# docker-registry on 127.0.0.1; skopeo pulls it back into an OCI layout, its layer is unpacked
# and its binary run next to the workspace's own build of the same sources.
#
# Decision: the suite builds the image through `make image-push` (which depends on `make image`),
# and nothing else in `make test` builds it, so it is built once per run; the quick bench then
# reads the size this build left.

bats_require_minimum_version 1.5.0
load lib

# The Makefile's value of VARIABLE (the version, the image's name): one source for both.
make_var() { make -s --no-print-directory -C "$REPO_ROOT" print-"$1"; }

# Cargo.toml's field $2 of manifest $1 (top-level or [package] key).
cargo_field() { sed -n "s/^$2 = \"\(.*\)\"/\1/p" "$1" | head -n 1; }

# The blob of digest $1 (sha256:...) in the pulled OCI layout.
blob() { echo "$OCI_DIR/blobs/${1/://}"; }

setup_file() {
  registry_up "$BATS_FILE_TMPDIR/registry"
  export REPOSITORY="$REGISTRY_ADDR/uds-egress/uds-egress"
  VERSION=$(make_var VERSION)
  IMAGE=$(make_var IMAGE)
  export VERSION IMAGE TAG="v$VERSION"
  # The commit before the build: the image's revision is this one or a later one (other work may
  # be committed to this checkout while the binary builds).
  HEAD_BEFORE=$(git -C "$REPO_ROOT" rev-parse HEAD)
  export HEAD_BEFORE
  # The real targets: builds what changed (a cargo no-op and a one-second buildah build when
  # `make image` ran), pushes over plain HTTP, prints REPOSITORY@sha256:... on stdout.
  make -s --no-print-directory -C "$REPO_ROOT" image-push REGISTRY="$REPOSITORY" INSECURE_REGISTRY=1 \
    >"$BATS_FILE_TMPDIR/immutable-ref" 2>"$BATS_FILE_TMPDIR/image-push.log" \
    || { cat "$BATS_FILE_TMPDIR/image-push.log" >&2; return 1; }

  export OCI_DIR="$BATS_FILE_TMPDIR/oci" ROOTFS="$BATS_FILE_TMPDIR/rootfs"
  skopeo copy -q --src-tls-verify=false "docker://$REPOSITORY:$TAG" "oci:$OCI_DIR:$TAG"
  MANIFEST=$(blob "$(jq -r '.manifests[0].digest' "$OCI_DIR/index.json")")
  CONFIG=$(blob "$(jq -r '.config.digest' "$MANIFEST")")
  export MANIFEST CONFIG
  mkdir -p "$ROOTFS"
  local layer
  for layer in $(jq -r '.layers[].digest' "$MANIFEST"); do tar -xf "$(blob "$layer")" -C "$ROOTFS"; done

  # The workspace's own build of the same sources (the debug build `cargo test` already made).
  cargo build -q -p uds-egress-generator --bin uds-egress
  export WORKSPACE_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/uds-egress"
}

teardown_file() {
  registry_down
}

@test "make image-push prints the reference the registry serves, of the image make image built" {
  local served local_id
  served=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REPOSITORY:$TAG")
  # Stdout is the reference alone: what a first run installs (musl-tools, the target) says so on
  # stderr.
  [ "$(cat "$BATS_FILE_TMPDIR/immutable-ref")" = "$REPOSITORY@$served" ] \
    || { echo "make image-push printed: $(cat "$BATS_FILE_TMPDIR/immutable-ref")" >&2; false; }
  # The image ID is its config's digest: the registry round trip kept the image that was built.
  local_id=$(buildah images -q --no-trunc "$IMAGE")
  [ "$(jq -r '.config.digest' "$MANIFEST")" = "$local_id" ]
  echo "# $IMAGE: $(jq '[.layers[].size] | add' "$MANIFEST") bytes as pushed (compressed)," \
    "$(cat "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/image/size-bytes") bytes uncompressed" >&3
}

@test "the image runs its binary as 65532:65532 with nothing else in it: no shell" {
  run -0 jq -c '.config | {User, Entrypoint, Cmd}' "$CONFIG"
  [ "$output" = '{"User":"65532:65532","Entrypoint":["/uds-egress"],"Cmd":null}' ]
  [ ! -e "$ROOTFS/bin/sh" ]
  # The whole filesystem is the one file.
  run -0 find "$ROOTFS" -mindepth 1 -printf '%P %y %m\n'
  [ "$output" = "uds-egress f 755" ]
  # Statically linked: no program interpreter (dynamic loader) to look for in an empty image.
  run -0 readelf -l "$ROOTFS/uds-egress"
  [[ "$output" != *INTERP* ]]
}

@test "the OCI labels name the title, Cargo.toml's version, licence and repository, and the commit" {
  local labels='.config.Labels'
  [ "$(jq -r "$labels[\"org.opencontainers.image.title\"]" "$CONFIG")" = uds-egress ]
  [ -n "$(jq -r "$labels[\"org.opencontainers.image.description\"] // empty" "$CONFIG")" ]
  [ "$(jq -r "$labels[\"org.opencontainers.image.version\"]" "$CONFIG")" = "$VERSION" ]
  [ "$(jq -r "$labels[\"org.opencontainers.image.licenses\"]" "$CONFIG")" = "$(cargo_field "$REPO_ROOT/Cargo.toml" license)" ]
  [ "$(jq -r "$labels[\"org.opencontainers.image.source\"]" "$CONFIG")" = "$(cargo_field "$REPO_ROOT/Cargo.toml" repository)" ]
  local revision commit
  revision=$(jq -r "$labels[\"org.opencontainers.image.revision\"]" "$CONFIG")
  commit=${revision%-dirty}
  [[ "$commit" =~ ^[0-9a-f]{40}$ ]]
  git -C "$REPO_ROOT" merge-base --is-ancestor "$HEAD_BEFORE" "$commit"
  git -C "$REPO_ROOT" merge-base --is-ancestor "$commit" HEAD
  # -dirty exactly when the work tree differed from that commit (it does while others edit it).
  if [ "$revision" != "$commit" ]; then run ! git -C "$REPO_ROOT" diff --quiet "$commit"; fi
}

@test "the pulled binary prints the generator's Cargo version" {
  run -0 "$ROOTFS/uds-egress" --version
  [ "$output" = "uds-egress $(cargo_field "$REPO_ROOT/crates/generator/Cargo.toml" version)" ]
}

@test "the pulled binary renders each example exactly as the workspace's uds-egress does" {
  local example
  for example in "$REPO_ROOT"/examples/*.yaml; do
    "$WORKSPACE_BIN" render "$example" >"$BATS_TEST_TMPDIR/workspace.yaml"
    "$ROOTFS/uds-egress" render "$example" >"$BATS_TEST_TMPDIR/image.yaml"
    [ -s "$BATS_TEST_TMPDIR/image.yaml" ]
    diff -u "$BATS_TEST_TMPDIR/workspace.yaml" "$BATS_TEST_TMPDIR/image.yaml"
  done
}

@test "deploy/ runs the image the release pushes: ghcr.io/uds-egress/uds-egress:v<version>" {
  run -0 grep -rhoE 'ghcr\.io/uds-egress/uds-egress[^[:space:]"]*' "$REPO_ROOT/deploy"
  [ -n "$output" ]
  [ "$(sort -u <<<"$output")" = "$IMAGE" ]
}
