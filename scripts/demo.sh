#!/usr/bin/env bash
# The whole synth loop, offline, on the example project:
# init -> index -> eval base -> generate from failures -> tune -> eval tuned -> compare.
# Usage: scripts/demo.sh [SYNTH_BINARY] [DIR]
set -euo pipefail
synth="$(cd "$(dirname "${1:-bin/synth}")" && pwd)/$(basename "${1:-bin/synth}")"
dir="${2:-demo}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$dir"
step "synth init $dir"
"$synth" init "$dir" >/dev/null
cd "$dir"
echo "example project written to $(pwd)"

step "synth index"
"$synth" index

step "synth eval --model base"
"$synth" eval --model base --quiet
before=$(basename "$(readlink runs/latest)")

step "synth generate --from runs/latest"
"$synth" generate --from runs/latest --quiet

step "synth tune --data data/synthetic.jsonl --base base --name tuned"
"$synth" tune --data data/synthetic.jsonl --base base --name tuned

step "synth eval --model tuned"
"$synth" eval --model tuned --quiet
after=$(basename "$(readlink runs/latest)")

step "synth compare runs/$before runs/$after"
"$synth" compare "runs/$before" "runs/$after"

printf '\nReports: %s/runs/%s/report.html and %s/runs/%s/compare.html\n' "$dir" "$after" "$dir" "$after"
