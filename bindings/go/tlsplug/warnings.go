package tlsplug

import (
	"log"
	"net"
	"sync"
)

// Warning is one of Node's runtime deprecation warnings: Code is Node's
// (DEP0123), Message its text.
type Warning struct {
	Code, Message string
}

// OnWarning receives each deprecation warning, once per process as Node
// emits them. Nil (the default) writes it to the standard logger, as
// Node writes to stderr; set a function to route or silence them. Set it
// before the first connection.
var OnWarning func(w Warning)

var warned sync.Map

func warnOnce(w Warning) {
	if _, done := warned.LoadOrStore(w.Code, true); done {
		return
	}
	if OnWarning != nil {
		OnWarning(w)
		return
	}
	log.Printf("tlsplug: [%s] DeprecationWarning: %s", w.Code, w.Message)
}

// warnIPServerName is DEP0123: an IP address as Config.ServerName (RFC 6066
// allows host names only; the name is checked but not sent as SNI).
func warnIPServerName(name string) {
	if name != "" && net.ParseIP(name) != nil {
		warnOnce(Warning{Code: "DEP0123", Message: "Setting the TLS ServerName to an IP address " +
			"is not permitted by RFC 6066. This will be ignored in a future version."})
	}
}
