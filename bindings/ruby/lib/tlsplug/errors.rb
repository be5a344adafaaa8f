# frozen_string_literal: true

require "socket"
begin
  require "openssl"
rescue LoadError
  nil # a Ruby built without OpenSSL: Tlsplug::SSLError is then a StandardError
end

module Tlsplug
  # tlsplug's exceptions: Ruby's own kinds, each including Tlsplug::Error
  # (so `rescue Tlsplug::Error` catches them all) and keeping Node's #code:
  #
  #   Tlsplug::Error (module)                      #code #status
  #   Tlsplug::SocketErrors::ECONNREFUSED < Errno::ECONNREFUSED, and every errno
  #     code Node reports (ECONNRESET, EPIPE, ETIMEDOUT, EADDRINUSE, ...);
  #     ERR_TLS_HANDSHAKE_TIMEOUT is Tlsplug::SocketErrors::ETIMEDOUT
  #   Tlsplug::HostLookupError < SocketError       ENOTFOUND, EAI_AGAIN, EAI_FAIL
  #   Tlsplug::SSLError < OpenSSL::SSL::SSLError   ERR_SSL_*, a TLS failure
  #     Tlsplug::CertificateVerificationError      CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT,
  #       Tlsplug::IdentityError                   ERR_TLS_CERT_ALTNAME_INVALID (#reason, #host, #cert)
  #   Tlsplug::InvalidArgTypeError < TypeError     ERR_INVALID_ARG_TYPE
  #   Tlsplug::OutOfRangeError < ArgumentError     ERR_OUT_OF_RANGE, ERR_SOCKET_BAD_PORT
  #   Tlsplug::InvalidArgValueError < ArgumentError ERR_INVALID_ARG_VALUE
  #   Tlsplug::TLSTypeError < TypeError            ERR_TLS_INVALID_PROTOCOL_VERSION,
  #                                                ERR_TLS_PROTOCOL_VERSION_CONFLICT,
  #                                                ERR_TLS_INVALID_CONTEXT
  #   Tlsplug::WrongThreadError < ThreadError      ERR_TLSPLUG_WRONG_THREAD
  #   Tlsplug::GeneralError < StandardError        the rest (ERR_TLSPLUG_CLOSED, bad PEM, ...)
  #
  # Tlsplug::SSLError inherits OpenSSL::SSL::SSLError whenever Ruby's openssl
  # library loads (tlsplug requires it), so code written for Net::HTTP over
  # OpenSSL (`rescue OpenSSL::SSL::SSLError`) catches tlsplug's TLS failures
  # unchanged; only a Ruby built without openssl makes it a StandardError.

  # An error with a code that is no socket, lookup or TLS failure.
  class GeneralError < StandardError
    include Error
  end

  # A TLS failure (an alert, a protocol error): OpenSSL::SSL::SSLError's kind.
  class SSLError < (defined?(OpenSSL::SSL::SSLError) ? OpenSSL::SSL::SSLError : StandardError)
    include Error
  end

  # The peer's certificate was refused (reject_unauthorized). #verify_result
  # is OpenSSL's X509_V_ERR_* number for Node's code (the value
  # OpenSSL::SSL::SSLSocket#verify_result would hold; nil without openssl or
  # for a code OpenSSL has no number for).
  class CertificateVerificationError < SSLError
    def verify_result
      return nil unless defined?(OpenSSL::X509)

      name = code == "ERR_TLS_CERT_ALTNAME_INVALID" ? "HOSTNAME_MISMATCH" : code.to_s
      OpenSSL::X509.const_defined?("V_ERR_#{name}") ? OpenSSL::X509.const_get("V_ERR_#{name}") : nil
    end
  end

  # checkServerIdentity's error: Node's reason, host and cert.
  class IdentityError < CertificateVerificationError
    attr_accessor :reason, :host, :cert
  end

  # A host name that does not resolve (Node's ENOTFOUND, EAI_AGAIN): the
  # SocketError Ruby's resolver raises.
  class HostLookupError < SocketError
    include Error
  end

  # Tlsplug::SocketErrors::ECONNREFUSED (< ::Errno::ECONNREFUSED), ... made on first
  # use for each errno code Node reports; #errno is the system's number.
  module SocketErrors
    LOCK = Mutex.new # errors are made on any thread
    private_constant :LOCK

    def self.class_for(name)
      LOCK.synchronize do
        return const_get(name, false) if const_defined?(name, false)

        const_set(name, Class.new(::Errno.const_get(name, false)) { include Error })
      end
    end
  end

  # The one place an error's class is chosen (Util.error_from and
  # Tlsplug::Error.new come here).
  module Errors
    LOOKUP = %w[ENOTFOUND EAI_AGAIN EAI_FAIL EAI_NONAME].freeze
    # ERR_TLS_* codes of a failed TLS exchange (the rest of ERR_TLS_* are
    # Node's argument and state errors).
    TLS_EXCHANGE = %w[ERR_TLS_RENEGOTIATE ERR_TLS_RENEGOTIATION_DISABLED ERR_TLS_SESSION_ATTACK
                      ERR_TLS_DH_PARAM_SIZE ERR_TLS_SNI_CALLBACK].freeze
    # Node's TypeErrors that are not about an argument's type.
    TYPE_ERRORS = %w[ERR_TLS_INVALID_PROTOCOL_VERSION ERR_TLS_PROTOCOL_VERSION_CONFLICT
                     ERR_TLS_INVALID_CONTEXT].freeze

    module_function

    # The class for Node's +code+ (the TLSPLUG_E_* +status+ decides when the
    # code does not).
    def class_for(code, status = 0)
      c = code.to_s
      return HostLookupError if LOOKUP.include?(c)
      return SocketErrors.class_for("ETIMEDOUT") if c == "ERR_TLS_HANDSHAKE_TIMEOUT"
      return SocketErrors.class_for(c) if c.match?(/\AE[A-Z0-9]+\z/) && ::Errno.const_defined?(c, false)
      return CertificateVerificationError if status == ABI::E_VERIFY || c == "ERR_TLS_CERT_ALTNAME_INVALID"
      return CertificateVerificationError if verify_code?(c)
      return SSLError if c.start_with?("ERR_SSL_") || TLS_EXCHANGE.include?(c)
      return SSLError if status == ABI::E_TLS && !c.start_with?("ERR_")
      return InvalidArgValueError if c == "ERR_INVALID_ARG_VALUE"
      return TLSTypeError if TYPE_ERRORS.include?(c)

      GeneralError
    end

    # Node's verification codes are OpenSSL's X509_V_ERR_* names.
    def verify_code?(code)
      defined?(OpenSSL::X509) && !code.empty? && OpenSSL::X509.const_defined?("V_ERR_#{code}")
    end

    def make(message, code = nil, status = 0)
      class_for(code, status).new(message, code, status)
    end
  end
end
