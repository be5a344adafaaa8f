# frozen_string_literal: true

# Errors and the buffer helpers every wrapper shares.
module Tlsplug
  # Every error tlsplug raises (or hands to an 'error' listener) is a
  # Tlsplug::Error, and also the exception Ruby code already rescues for that
  # failure (Errno::ECONNREFUSED, SocketError, OpenSSL::SSL::SSLError,
  # TypeError, ...): Error is a module every one of those classes includes
  # (lib/tlsplug/errors.rb holds the tree). #code is Node's code
  # (CERT_HAS_EXPIRED, ECONNRESET, ERR_TLS_CERT_ALTNAME_INVALID, ...) or the
  # status name when Node has none; #status the TLSPLUG_E_* number (0 for an
  # error that did not come from a C call). Tlsplug::Error.new(message, code,
  # status) makes the error of that code's class (Errors.make).
  module Error
    attr_accessor :code, :status

    def initialize(message = nil, code = nil, status = 0)
      super(message)
      @code = code
      @status = status
    end

    def self.new(message = nil, code = nil, status = 0)
      Errors.make(message, code, status)
    end

    # raise Tlsplug::Error, "message"
    def self.exception(*args)
      new(*args)
    end

    def to_s
      s = super
      code && !s.include?(code) ? "#{s} [#{code}]" : s
    end
  end

  # Node's synchronous argument errors, raised at the call as Ruby's own
  # TypeError/ArgumentError, each with #code (Node's code). (NodeCode was
  # their own module before Error was one.)
  NodeCode = Error

  # A wrong type (Node's ERR_INVALID_ARG_TYPE).
  class InvalidArgTypeError < TypeError
    include Error

    def initialize(message, code = "ERR_INVALID_ARG_TYPE")
      super
    end
  end

  # A value of the right type that Node refuses (ERR_INVALID_ARG_VALUE):
  # Ruby's ArgumentError for a bad value.
  class InvalidArgValueError < ArgumentError
    include Error

    def initialize(message, code = "ERR_INVALID_ARG_VALUE", status = 0)
      super
    end
  end

  # Another of Node's errors thrown as a TypeError at the call: a protocol
  # version name that is none (ERR_TLS_INVALID_PROTOCOL_VERSION), versions
  # beside secure_protocol (ERR_TLS_PROTOCOL_VERSION_CONFLICT), a context
  # that is not a SecureContext (ERR_TLS_INVALID_CONTEXT).
  class TLSTypeError < TypeError
    include Error
  end

  # A value out of Node's range (ERR_OUT_OF_RANGE, ERR_SOCKET_BAD_PORT).
  class OutOfRangeError < ArgumentError
    include Error

    def initialize(message, code = "ERR_OUT_OF_RANGE")
      super
    end
  end

  # ALPNCallback and ALPNProtocols given together (Node's TypeError
  # ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS).
  class ALPNCallbackWithProtocolsError < TypeError
    include NodeCode

    def initialize(message = "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive",
                   code = "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS")
      super
    end
  end

  # Node's validators (None/nil is "not given": the callers skip nil).
  module Check
    module_function

    def received(v)
      v.nil? ? "nil" : "type #{v.class} (#{v.inspect[0, 40]})"
    end

    def string(name, v)
      return if v.is_a?(String)

      raise InvalidArgTypeError, %(The "#{name}" property must be of type string. Received #{received(v)})
    end

    def callable(name, v)
      return if v.respond_to?(:call)

      raise InvalidArgTypeError, %(The "#{name}" property must be of type function. Received #{received(v)})
    end

    def number(name, v, kind = "property")
      return if v.is_a?(Integer) || v.is_a?(Float)

      raise InvalidArgTypeError, %(The "#{name}" #{kind} must be of type number. Received #{received(v)})
    end

    # Node's key/cert/ca check (it throws at the call): a falsy value (nil,
    # false, 0, "") is not given; else a String or an Array of them (for
    # key, also {pem:, passphrase:} Hashes in an Array). Anything else
    # raises InvalidArgTypeError naming the first bad value. Answers the items.
    def pem_items(name, v, objects: false)
      return [] if v.nil? || v == false || v == 0 || (v.is_a?(String) && v.empty?) # rubocop:disable Style/NumericPredicate

      items = v.is_a?(Array) ? v : [v]
      bad = items.find { |i| !(i.is_a?(String) || (objects && v.is_a?(Array) && i.is_a?(Hash))) }
      return items if bad.nil?

      raise InvalidArgTypeError, %(The "options.#{name}" property must be of type string or an instance of ) +
                                 %(Buffer, TypedArray, or DataView. Received #{received(bad)})
    end

    # Node's pfx: nil is not given; anything that is not bytes (a String,
    # or {buf:, passphrase:} in an Array) cannot be loaded, and Node says so
    # as for undecodable bytes (ERR_CRYPTO_OPERATION_FAILED), never by
    # turning 42 into "42".
    def pfx_items(v)
      return [] if v.nil?

      items = v.is_a?(Array) ? v : [v]
      bad = items.find { |i| !(i.is_a?(String) || (v.is_a?(Array) && i.is_a?(Hash) && i[:buf].is_a?(String))) }
      return items if bad.nil?

      raise Error.new("pfx: Unable to load PFX certificate: not a buffer. Received #{received(bad)}",
                      "ERR_CRYPTO_OPERATION_FAILED", ABI::E_CREDENTIALS)
    end

    # Node's validateInt32/validateInteger: a number, an integer, lo..hi.
    def int(name, v, lo, hi, kind = "property")
      number(name, v, kind)
      if v.is_a?(Float) && v != v.floor
        raise OutOfRangeError, %(The value of "#{name}" is out of range. It must be an integer. Received #{v})
      end
      unless v.between?(lo, hi)
        raise OutOfRangeError, %(The value of "#{name}" is out of range. It must be >= #{lo} && <= #{hi}. Received #{v})
      end

      v.to_i
    end
  end

  # A call on a loop, or on a socket or server bound to a loop, from a
  # thread other than the loop's: libtlsplug's rule is that a socket, server
  # or loop is used by one thread at a time, and libuv is not thread-safe.
  # Nothing was done. #code is ERR_TLSPLUG_WRONG_THREAD.
  class WrongThreadError < ThreadError
    include Error
    CODE = "ERR_TLSPLUG_WRONG_THREAD"

    def initialize(what = "this object")
      super("#{what} belongs to the tlsplug loop of another thread: a loop and the sockets " \
            "and servers on it are used only from the thread that owns the loop (libuv is " \
            "not thread-safe)")
      @code = CODE
      @status = 0
    end

    def to_s
      "#{super} [#{code}]"
    end
  end

  # Helpers over the generated layer (internal).
  module Util
    module_function

    def lib
      ABI.lib
    end

    ZEROS = ("\0" * 16).b.freeze
    private_constant :ZEROS

    # A fresh out-parameter buffer of +n+ bytes (a short one is one
    # embedded String: a copy, never shared with ZEROS).
    def out(n = 8)
      n <= ZEROS.bytesize ? ZEROS.byteslice(0, n) : ("\0" * n).b
    end

    def out_handle(buf)
      buf.unpack1("J")
    end

    def out_size(buf)
      buf.unpack1("J")
    end

    def out_int(buf)
      buf.unpack1("l")
    end

    def out_uint(buf)
      buf.unpack1("L")
    end

    # Node's address() as a Hash with Symbol keys ({port:, family:,
    # address:}); the String keys of Node's names ("port", ...) read the
    # same values.
    def address_hash(port, family, address)
      h = { port: port, family: family, address: address }
      h.default_proc = ->(hash, key) { hash.fetch(key.to_sym, nil) if key.is_a?(String) }
      h
    end

    # A NUL-terminated copy of a string argument (nil stays nil: NULL).
    def cstr(s)
      return nil if s.nil?
      s = s.to_s
      "#{s}\0".b
    end

    def bytes(s)
      s.is_a?(String) ? s.b : s.to_s.b
    end

    # cstr for a name the library compares with a certificate's (a host, a
    # servername): C would cut one holding a NUL byte there and judge its
    # prefix ("a.example\0.evil" as "a.example"), so it is refused.
    def cname(s, what)
      b = cstr(s)
      if b && b.byteslice(0, b.bytesize - 1).include?("\0")
        raise InvalidArgValueError, %(The "#{what}" argument must not contain null bytes. Received #{s.inspect[0, 60]})
      end

      b
    end

    def status_name(status)
      lib.status_name(status).to_s
    end

    def error_text(handle, field)
      return nil if handle.nil? || handle.to_i.zero? # an Integer or a Fiddle::Pointer
      n = out
      buf = out(512)
      rc = lib.error_get(handle, field, buf, buf.bytesize, n)
      if rc == ABI::E_BUFSIZE
        buf = out(out_size(n) + 1)
        rc = lib.error_get(handle, field, buf, buf.bytesize, n)
      end
      return nil unless rc == ABI::OK
      buf.byteslice(0, out_size(n)).force_encoding(Encoding::UTF_8).scrub
    end

    # The Error for a failed call on +handle+ (message and code read from it).
    def error_from(handle, status, what = "")
      msg = error_text(handle, ABI::ERROR_MESSAGE)
      code = error_text(handle, ABI::ERROR_CODE)
      if status == ABI::E_BADHANDLE
        msg = "#{what.empty? ? 'object' : what}: the handle is closed (freed) or invalid"
        code ||= "ERR_TLSPLUG_BADHANDLE"
      end
      msg = what.empty? ? status_name(status) : "#{what}: #{status_name(status)}" if msg.nil? || msg.empty?
      code = status_name(status) if code.nil? || code.empty?
      Errors.make(msg, code, status)
    end

    # Raise the Error of a negative status; answer the status otherwise.
    def check(status, handle = nil, what = "")
      raise error_from(handle, status, what) if status.negative?
      status
    end

    # Call a (..., buf, cap, len) function (a Symbol of the Library); nil on
    # E_UNAVAILABLE.
    def get_bytes(fn, *args, handle: nil, what: "", size: 256)
      n = out
      buf = out(size)
      rc = lib.public_send(fn, *args, buf, size, n)
      if rc == ABI::E_BUFSIZE
        size = out_size(n) + 1
        buf = out(size)
        rc = lib.public_send(fn, *args, buf, size, n)
      end
      return nil if rc == ABI::E_UNAVAILABLE
      check(rc, handle, what)
      buf.byteslice(0, out_size(n))
    end

    def get_str(fn, *args, handle: nil, what: "", size: 256)
      b = get_bytes(fn, *args, handle: handle, what: what, size: size)
      b&.force_encoding(Encoding::UTF_8)&.scrub
    end
  end
end

require_relative "errors"
