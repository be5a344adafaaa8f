/* Node's OpenSSL engine options (privateKeyEngine with
 * privateKeyIdentifier, clientCertEngine). GnuTLS has no engines, so each
 * is refused explicitly with the code Node gives where custom engines are
 * not supported, never ignored. */
#include "context.h"
#include "api_impl.h"

static int unsupported(struct tlsplug_context *c, const char *option)
{
    return tp_fail(&c->err, TLSPLUG_E_UNSUPPORTED, "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED",
                   "Custom engines not supported by this build: GnuTLS has no OpenSSL engines "
                   "(%s); load the key as PEM or PKCS#12 instead", option);
}

int tp_api_context_set_private_key_engine(tlsplug_context *h, const char *engine,
                                          const char *identifier)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!engine && identifier)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "The property 'options.privateKeyEngine' is invalid. Received undefined");
    if (!identifier)
        return TLSPLUG_OK; /* Node uses the engine only for an identifier */
    return unsupported(c, "privateKeyEngine");
}

int tp_api_context_set_client_cert_engine(tlsplug_context *h, const char *engine)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!engine)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                       "The \"options.clientCertEngine\" property must be of type string");
    return unsupported(c, "clientCertEngine");
}
