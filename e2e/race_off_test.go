//go:build !race

package e2e

// raceEnabled: the test binary is built without -race.
const raceEnabled = false
