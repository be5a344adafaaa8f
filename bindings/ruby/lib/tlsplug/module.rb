# frozen_string_literal: true

module Tlsplug
  # Node's module values (tls.DEFAULT_*, tls.CLIENT_RENEG_*): name => the
  # TLSPLUG_DEFAULT_* number. Read with Tlsplug.get_default, set with
  # Tlsplug.set_default; the constants Tlsplug::DEFAULT_CIPHERS, ... hold
  # the current values (set_default replaces them).
  DEFAULTS = {
    "DEFAULT_ECDH_CURVE" => ABI::DEFAULT_ECDH_CURVE,
    "DEFAULT_MIN_VERSION" => ABI::DEFAULT_MIN_VERSION,
    "DEFAULT_MAX_VERSION" => ABI::DEFAULT_MAX_VERSION,
    "DEFAULT_CIPHERS" => ABI::DEFAULT_CIPHERS,
    "CLIENT_RENEG_LIMIT" => ABI::DEFAULT_CLIENT_RENEG_LIMIT,
    "CLIENT_RENEG_WINDOW" => ABI::DEFAULT_CLIENT_RENEG_WINDOW
  }.freeze
  NUMERIC_DEFAULTS = %w[CLIENT_RENEG_LIMIT CLIENT_RENEG_WINDOW].freeze

  def self.default_which(name)
    DEFAULTS.fetch(name.to_s) { raise ArgumentError, "unknown module value #{name.inspect}" }
  end
  private_class_method :default_which

  # The current value of tls.<name>: a String, an Integer for
  # CLIENT_RENEG_LIMIT and CLIENT_RENEG_WINDOW.
  def self.get_default(name)
    v = Util.get_str(:get_default, default_which(name), size: 1024)
    NUMERIC_DEFAULTS.include?(name.to_s) ? v.to_i : v
  end

  # tls.<name> = value, process-wide, for contexts and sockets made
  # afterwards; the constant follows. Raises Tlsplug::Error on a bad value.
  def self.set_default(name, value)
    Util.check(ABI.lib.set_default(default_which(name), Util.cstr(value.to_s)), nil, name.to_s)
    v = get_default(name)
    remove_const(name.to_s) if const_defined?(name.to_s, false)
    const_set(name.to_s, v.is_a?(String) ? v.freeze : v)
    v
  end

  DEFAULTS.each_key { |n| const_set(n, get_default(n).then { |v| v.is_a?(String) ? v.freeze : v }) }

  # Node's tls.getCiphers(): lowercase names, sorted.
  def self.get_ciphers
    s = Util.get_str(:get_ciphers, size: 8192)
    s ? s.split(":") : []
  end

  # The DER of a certificate given as Node's certificate Hash (its "raw"),
  # a PEM String (the first certificate) or a DER String.
  def self.cert_der(cert)
    if cert.is_a?(Hash)
      raw = cert["raw"] || cert[:raw]
      raise TypeError, "cert must have raw DER bytes" unless raw.is_a?(String)
      return raw.b
    end
    raise TypeError, "cert must be a certificate Hash, PEM or DER" unless cert.is_a?(String)
    text = cert.b
    m = text.match(/-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/m)
    return text unless m
    m[1].unpack1("m")
  end
  private_class_method :cert_der

  # Node's tls.checkServerIdentity(hostname, cert): nil on a match, else a
  # Tlsplug::Error (code ERR_TLS_CERT_ALTNAME_INVALID) with #reason, #host
  # and #cert. +cert+: a certificate Hash (get_peer_certificate), PEM or DER.
  def self.check_server_identity(hostname, cert)
    der = cert_der(cert)
    host = Util.cname(hostname, "hostname")
    n = Util.out
    buf = Util.out(1024)
    rc = ABI.lib.check_server_identity(host, der, der.bytesize, buf, buf.bytesize, n)
    if rc == ABI::E_VERIFY && Util.out_size(n) >= buf.bytesize # a longer reason: again, with room
      buf = Util.out(Util.out_size(n) + 1)
      rc = ABI.lib.check_server_identity(host, der, der.bytesize, buf, buf.bytesize, n)
    end
    return nil if rc == ABI::OK
    Util.check(rc, nil, "checkServerIdentity") unless rc == ABI::E_VERIFY
    reason = buf.byteslice(0, [Util.out_size(n), buf.bytesize].min).force_encoding(Encoding::UTF_8).scrub
    err = IdentityError.new("Hostname/IP does not match certificate's altnames: #{reason}",
                            "ERR_TLS_CERT_ALTNAME_INVALID", rc)
    err.reason = reason
    err.host = hostname
    err.cert = cert
    err
  end
end
