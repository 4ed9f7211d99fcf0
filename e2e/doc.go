// Package e2e holds end-to-end tests of the synth command: they build the
// synth binary once (TestMain), run it as a subprocess in throwaway projects
// against a fake OpenAI-compatible server served in-process (llm/llmtest),
// and check the guarantees docs/reliability.md lists: no lost or duplicated
// items under a storm of provider faults, resume after SIGINT and SIGKILL,
// concurrent runs in one project, clear errors on bad input, no leaked
// secrets, and hostile model output shown safely.
//
// Run them with
//
//	go test ./e2e/
//
// They run in `make test` (with -race the binary is built with -race too).
// SYNTH_E2E_BIN=/path/to/synth skips the build and tests that binary.
package e2e
