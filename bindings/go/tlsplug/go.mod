module tlsplug.dev/tlsplug

go 1.19
