//go:build !race

package tlsplug

const raceEnabled = false
