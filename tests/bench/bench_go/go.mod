module tlsplug.dev/bench

go 1.19
