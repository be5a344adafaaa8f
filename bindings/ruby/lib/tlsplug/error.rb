# frozen_string_literal: true

# Errors and the buffer helpers every wrapper shares.
module Tlsplug
  # An error from tlsplug, as Node's Error: #code is Node's code
  # (CERT_HAS_EXPIRED, ECONNRESET, ERR_TLS_CERT_ALTNAME_INVALID, ...) or the
  # status name when Node has none; #status the TLSPLUG_E_* number (0 for an
  # error that did not come from a C call).
  class Error < StandardError
    attr_accessor :code, :status

    def initialize(message = nil, code = nil, status = 0)
      super(message)
      @code = code
      @status = status
    end

    def to_s
      code ? "#{super} [#{code}]" : super
    end
  end

  # A call on a loop, or on a socket or server bound to a loop, from a
  # thread other than the loop's: libtlsplug's rule is that a socket, server
  # or loop is used by one thread at a time, and libuv is not thread-safe.
  # Nothing was done. #code is ERR_TLSPLUG_WRONG_THREAD.
  class WrongThreadError < ThreadError
    CODE = "ERR_TLSPLUG_WRONG_THREAD"
    attr_reader :code, :status

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

    # A fresh out-parameter buffer of +n+ bytes.
    def out(n = 8)
      ("\0" * n).b
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

    # A NUL-terminated copy of a string argument (nil stays nil: NULL).
    def cstr(s)
      return nil if s.nil?
      s = s.to_s
      "#{s}\0".b
    end

    def bytes(s)
      s.is_a?(String) ? s.b : s.to_s.b
    end

    def status_name(status)
      lib.status_name(status).to_s
    end

    def error_text(handle, field)
      return nil if handle.nil? || handle.zero?
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
      Error.new(msg, code, status)
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
