#!/usr/bin/env bash
# Conformance of synth's OpenAI-compatible requests with the official API spec.
#
# Starts a Prism mock (npm package @stoplight/prism-cli, Node 20) on OpenAI's
# OpenAPI spec from ../shared/data/openai-openapi on loopback, runs the
# conformance tests (pipelines/prism_test.go: chat completions, embeddings,
# file upload, fine-tuning jobs) against it, and stops it. Prism answers 422,
# naming the field, to any request the real API would reject.
#
#   scripts/prism.sh            # from the repository root
#
# When Node or the spec is missing, or Prism cannot be installed or started,
# it says so and exits 0 (the tests need the network once, for npm); a
# rejected request fails it.
set -uo pipefail
cd "$(dirname "$0")/.."

SPEC="${SYNTH_OPENAPI_SPEC:-../shared/data/openai-openapi/openapi.prism.v1.json}"
PORT="${SYNTH_PRISM_PORT:-4010}"
GO="${GO:-go}"

skip() { echo "prism conformance: skipped: $*"; exit 0; }

[ -f "$SPEC" ] || skip "no spec at $SPEC"
command -v npx >/dev/null 2>&1 || skip "npx (Node.js) is not installed"

log="$(mktemp)"
# Its own process group, so that stopping it stops node too (npx forks it).
setsid npx --yes @stoplight/prism-cli@5.14.2 mock -h 127.0.0.1 -p "$PORT" "$SPEC" >"$log" 2>&1 &
pid=$!
stop() { kill -- "-$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"; }
trap stop EXIT

start=$(date +%s)
until grep -q "Prism is listening" "$log"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		tail -5 "$log"
		skip "Prism exited before listening"
	fi
	if [ $(( $(date +%s) - start )) -gt 240 ]; then
		skip "Prism did not start within 240 s"
	fi
	sleep 1
done
echo "prism conformance: Prism listening on 127.0.0.1:$PORT after $(( $(date +%s) - start )) s"

SYNTH_PRISM_URL="http://127.0.0.1:$PORT/v1" "$GO" test -count=1 -run Prism -v ./pipelines
