#!/usr/bin/env bash
# Regenerates the seed corpus in fuzz/corpus/<target>/ from messages our own code produces
# (the no-security fixture of scep::internal, messages sealed with the test keys in tests/data)
# and from our peer captures in tests/data/peers. Files of ../shared/vectors are not copied:
# tests/replay.rs replays them from there.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --features __fuzzing --test replay -- --ignored write_seed_corpus
