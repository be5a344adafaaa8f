module tlsplug.dev/installed

go 1.19

require tlsplug.dev/tlsplug v0.0.0

replace tlsplug.dev/tlsplug => /usr/share/gocode/src/tlsplug.dev/tlsplug
