#!/usr/bin/env bash
# Set up, then run every test: formatting, lints, unit, integration and GUI tests (under Xvfb when
# there is no display). Tests that read ../shared/data skip when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# The lean build for servers (no camera, no GUI) must keep building.
cargo check --locked --no-default-features --bins

run_tests() { cargo test --locked --all-targets "$@"; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  xvfb-run -a -s "-screen 0 1920x1080x24" bash -c "$(declare -f run_tests); run_tests"
else
  run_tests
fi
