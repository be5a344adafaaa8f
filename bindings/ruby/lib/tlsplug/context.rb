# frozen_string_literal: true

module Tlsplug
  # A tlsplug_context (Node's SecureContext). Made by
  # Tlsplug.create_secure_context; frozen by the first socket that uses it.
  # #close (or garbage collection) releases this reference; sockets and
  # servers keep the context alive.
  class SecureContext
    def self.finalizer(cell)
      proc { ABI.lib.context_free(cell[0]) if cell[0] }
    end

    def initialize
      buf = Util.out
      Util.check(ABI.lib.context_new(buf), nil, "createSecureContext")
      @handle = Util.out_handle(buf)
      @cell = [@handle]
      @psk_callback = nil # Node's pskCallback, called by this context's sockets
      ObjectSpace.define_finalizer(self, self.class.finalizer(@cell))
    end

    attr_accessor :psk_callback

    def handle
      @handle or raise Error.new("SecureContext is closed", "ERR_TLSPLUG_CLOSED", ABI::E_BADHANDLE)
    end

    def call(fn, *args, what: "")
      h = handle
      Util.check(ABI.lib.public_send(fn, h, *args), h, what)
    end

    def close
      h = @handle
      @handle = nil
      @cell[0] = nil
      ABI.lib.context_free(h) if h # E_BADHANDLE on a double free: harmless
      nil
    end
  end

  CONTEXT_OPTIONS = %i[key cert ca passphrase pfx crl ciphers honor_cipher_order ecdh_curve
                       sigalgs dhparam min_version max_version secure_protocol secure_options
                       session_id_context priority session_key private_key_engine
                       private_key_identifier client_cert_engine psk_callback
                       psk_identity_hint].freeze

  def self.many(v)
    return [] if v.nil?
    v.is_a?(Array) ? v : [v]
  end

  # Node's tls.createSecureContext(options), options in snake_case:
  # key:, cert:, ca:, crl: (PEM strings, or arrays of them; key may also be
  # {pem:, passphrase:}), pfx: (DER string or array of {buf:, passphrase:}),
  # passphrase:, ciphers:, honor_cipher_order:, ecdh_curve:, sigalgs:, dhparam:,
  # min_version:, max_version:, secure_protocol:, secure_options:,
  # session_id_context:, priority: (a GnuTLS priority string),
  # session_key: (a tlsplug extension: 32 to 64 secret bytes sealing this
  # client context's sessions, so processes sharing it resume each other's
  # session blobs; by default a blob resumes only in the process that made it).
  # psk_callback:, psk_identity_hint: Node's pskCallback (a client's
  # call(hint) -> { psk:, identity: } or nil, a server's call(socket,
  # identity) -> key or nil) and pskIdentityHint; this context's sockets call it.
  # Raises Tlsplug::Error with Node's code.
  def self.create_secure_context(**o)
    unknown = o.keys - CONTEXT_OPTIONS
    raise ArgumentError, "unknown secure context options: #{unknown.join(', ')}" unless unknown.empty?
    # Node throws at the call, before anything is made; nil is undefined.
    { ciphers: "options.ciphers", ecdh_curve: "options.ecdhCurve", sigalgs: "options.sigalgs",
      session_id_context: "options.sessionIdContext", psk_identity_hint: "options.pskIdentityHint" }.each do |k, name|
      Check.string(name, o[k]) unless o[k].nil?
    end
    Check.string("options.passphrase", o[:passphrase]) if !o[:passphrase].nil? && (o[:key] || o[:pfx])
    Check.number("secureOptions", o[:secure_options], "argument") unless o[:secure_options].nil?
    { private_key_engine: "options.privateKeyEngine", private_key_identifier: "options.privateKeyIdentifier",
      client_cert_engine: "options.clientCertEngine" }.each do |k, name|
      Check.string(name, o[k]) unless o[k].nil?
    end
    pfx = Check.pfx_items(o[:pfx])
    cert = Check.pem_items("cert", o[:cert])
    key = Check.pem_items("key", o[:key], objects: true)
    ca = Check.pem_items("ca", o[:ca])
    ctx = SecureContext.new
    begin
      pfx.each do |item|
        pw = o[:passphrase]
        item, pw = item[:buf], item.fetch(:passphrase, pw) if item.is_a?(Hash)
        b = Util.bytes(item)
        ctx.call(:context_add_pfx, b, b.bytesize, Util.cstr(pw), what: "pfx")
      end
      cert.each { |c| b = Util.bytes(c); ctx.call(:context_add_cert, b, b.bytesize, what: "cert") }
      key.each do |item|
        pw = o[:passphrase]
        item, pw = item[:pem], item.fetch(:passphrase, pw) if item.is_a?(Hash)
        b = Util.bytes(item)
        ctx.call(:context_add_key, b, b.bytesize, Util.cstr(pw), what: "key")
      end
      ca.each { |c| b = Util.bytes(c); ctx.call(:context_add_ca, b, b.bytesize, what: "ca") }
      many(o[:crl]).each { |c| b = Util.bytes(c); ctx.call(:context_add_crl, b, b.bytesize, what: "crl") }
      ctx.call(:context_set_secure_protocol, Util.cstr(o[:secure_protocol]), what: "secureProtocol") if o[:secure_protocol]
      ctx.call(:context_set_min_version, Util.cstr(o[:min_version]), what: "minVersion") if o[:min_version]
      ctx.call(:context_set_max_version, Util.cstr(o[:max_version]), what: "maxVersion") if o[:max_version]
      ctx.call(:context_set_ciphers, Util.cstr(o[:ciphers]), what: "ciphers") if o[:ciphers]
      ctx.call(:context_set_priority, Util.cstr(o[:priority]), what: "priority") if o[:priority]
      ctx.call(:context_set_honor_cipher_order, o[:honor_cipher_order] ? 1 : 0) unless o[:honor_cipher_order].nil?
      ctx.call(:context_set_ecdh_curve, Util.cstr(o[:ecdh_curve]), what: "ecdhCurve") if o[:ecdh_curve]
      ctx.call(:context_set_sigalgs, Util.cstr(o[:sigalgs]), what: "sigalgs") unless o[:sigalgs].nil?
      if o[:dhparam]
        b = Util.bytes(o[:dhparam])
        ctx.call(:context_set_dhparam, b, b.bytesize, what: "dhparam")
      end
      ctx.call(:context_set_secure_options, o[:secure_options].to_i, what: "secureOptions") if o[:secure_options]
      ctx.call(:context_set_session_id_context, Util.cstr(o[:session_id_context])) if o[:session_id_context]
      if o[:psk_callback]
        Check.callable("options.pskCallback", o[:psk_callback])
        ctx.call(:context_set_psk, 1, Util.cstr(o[:psk_identity_hint]), what: "pskIdentityHint")
        ctx.psk_callback = o[:psk_callback]
      end
      if o[:session_key]
        b = Util.bytes(o[:session_key])
        ctx.call(:context_set_session_key, b, b.bytesize, what: "sessionKey")
      end
      # OpenSSL engines: GnuTLS has none; these raise Tlsplug::Error
      # ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED, never pass silently.
      if o[:private_key_engine] || o[:private_key_identifier]
        ctx.call(:context_set_private_key_engine, Util.cstr(o[:private_key_engine]),
                 Util.cstr(o[:private_key_identifier]), what: "privateKeyEngine")
      end
      ctx.call(:context_set_client_cert_engine, Util.cstr(o[:client_cert_engine]), what: "clientCertEngine") if o[:client_cert_engine]
    rescue Exception # rubocop:disable Lint/RescueException
      ctx.close
      raise
    end
    ctx
  end
end
