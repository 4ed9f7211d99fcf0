//go:build race

package e2e

// raceEnabled: the test binary is built with -race, so the synth binary is too.
const raceEnabled = true
