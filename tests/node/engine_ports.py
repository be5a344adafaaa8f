"""Shared by the ports of Node's keyengine-* and clientcertengine-* tests:
the option checks as node makes them (live), and what tlsplug answers for
the same options. GnuTLS has no OpenSSL engines, so tlsplug answers as a
Node whose OpenSSL lacks engine support does."""
from nodeport import node_eval
from node_server import node_eval_internals
import tlsplug

# Node's options in snake_case, for create_secure_context.
SNAKE = {"privateKeyEngine": "private_key_engine",
         "privateKeyIdentifier": "private_key_identifier",
         "clientCertEngine": "client_cert_engine"}


def node_context_error(options_js: str, without_engines: str = ""):
    """[name, code] of node's createSecureContext(options) error (None when it
    succeeds); with `without_engines` (a SecureContext method), node's own
    binding is stubbed to lack it, as Node's *-unsupported tests do."""
    call = ("try{tls.createSecureContext(%s);report(null)}"
            "catch(e){report([e.name,e.code,e.message])}" % options_js)
    if not without_engines:
        return node_eval(call)
    stub = ("const b=require('internal/test/binding').internalBinding('crypto');"
            "const N=b.SecureContext;b.SecureContext=function(){const r=new N();"
            "r.%s=undefined;return r};" % without_engines)
    return node_eval_internals("'use strict';" + stub, call)


def tlsplug_context_error(**options):
    """[kind, code, message] of create_secure_context(**options)'s error."""
    try:
        tlsplug.create_secure_context(**{SNAKE[k]: v for k, v in options.items()}).close()
    except Exception as e:  # the kind is what is compared
        kind = "TypeError" if isinstance(e, TypeError) else "Error"
        return [kind, getattr(e, "code", None), str(getattr(e, "message", e))]
    return None
