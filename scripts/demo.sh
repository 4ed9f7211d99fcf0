#!/usr/bin/env bash
# The whole synth loop, offline, on the example project:
# init -> index -> eval base -> generate from failures -> tune -> eval tuned -> compare,
# ending with one before/after line.
#
# Generation runs with --concurrency 1 so that two demos give the same rows and
# the same figures: with several failures worked on at once, dedupe keeps the
# first of two near-identical rows, and which comes first depends on timing.
#
# Usage: scripts/demo.sh [SYNTH_BINARY] [DIR]
set -euo pipefail
synth="$(cd "$(dirname "${1:-bin/synth}")" && pwd)/$(basename "${1:-bin/synth}")"
dir="${2:-demo}"

if [ -t 1 ]; then bold=$'\033[1m' reset=$'\033[0m'; else bold='' reset=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$reset"; }

rm -rf "$dir"
step "synth init $dir"
"$synth" init "$dir" >/dev/null
cd "$dir"
echo "example project written to $(pwd)"

step "synth index"
"$synth" index

step "synth eval --model base"
"$synth" eval --model base --concurrency 1 --quiet
before=$(basename "$(readlink runs/latest)")

step "synth generate --from runs/latest"
"$synth" generate --from runs/latest --concurrency 1 --quiet

step "synth tune --data data/synthetic.jsonl --base base --name tuned"
"$synth" tune --data data/synthetic.jsonl --base base --name tuned

step "synth eval --model tuned"
"$synth" eval --model tuned --concurrency 1 --quiet
after=$(basename "$(readlink runs/latest)")

step "synth compare runs/$before runs/$after"
"$synth" compare "runs/$before" "runs/$after"

# The before/after line, from the comparison's JSON (the first occurrence of
# each key is the whole run's; per-tag figures come later).
json=$("$synth" compare "runs/$before" "runs/$after" --json)
field() { grep -o "\"$1\": [0-9.eE+-]*" <<<"$json" | head -n 1 | sed 's/.*: //'; }
items=$(field items)
p=$(LC_ALL=C printf '%.2g' "$(field p_value)")
step "before → after"
printf '%sbase %s/%s correct → tuned %s/%s correct: %s fixed, %s regressed (McNemar p=%s)%s\n' \
	"$bold" "$(field a_correct)" "$items" "$(field b_correct)" "$items" "$(field fixed)" "$(field regressed)" "$p" "$reset"

printf '\nReports: %s/runs/%s/report.html and %s/runs/%s/compare.html\n' "$dir" "$after" "$dir" "$after"
