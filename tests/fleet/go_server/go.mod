module tlsplug.dev/fleetserver

go 1.19

require tlsplug.dev/tlsplug v0.0.0

replace tlsplug.dev/tlsplug => ../../../bindings/go/tlsplug
