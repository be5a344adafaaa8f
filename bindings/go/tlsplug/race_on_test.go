//go:build race

package tlsplug

// raceEnabled: the race detector's runtime allocates on its own and lets
// sync.Pool drop what it is given, so allocation counts mean nothing there.
const raceEnabled = true
