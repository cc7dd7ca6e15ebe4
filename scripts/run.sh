#!/usr/bin/env bash
# Set up, build and run the idshot app. Extra arguments go to idshot (e.g. `--source demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --release -- "$@"
