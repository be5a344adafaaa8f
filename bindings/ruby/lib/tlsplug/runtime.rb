# frozen_string_literal: true

# The hand-written half of tlsplug's low layer for Ruby: the loader that
# checks the library's ABI version, the decoding of event payloads, and the
# plain getters' calls. The generated half (abi.rb) holds what varies with
# the registry (functions, enums, each event's description, the plain
# getters: GETTERS and the modules whose methods call Runtime.getter) and
# requires this file at its end, so this code is ordinary source that
# rubocop and the tests read.

module Tlsplug
  module ABI
    # tlsplug_abi_version() of an opened library (every libtlsplug has it);
    # nil without it.
    def self.abi_version_of(handle)
      Fiddle::Function.new(handle["tlsplug_abi_version"], [], Fiddle::TYPE_INT).call
    rescue Fiddle::DLError
      nil
    end

    # Open the library at +path+, ask its tlsplug_get_api() (the one
    # versioned entry point) for the table of ABI version +expected+
    # (ABI_VERSION by default) and answer a Library. Raises Fiddle::DLError
    # when it cannot be opened and AbiVersionError when it refuses the
    # version (it is older), lacks tlsplug_get_api (older still) or hands out
    # a table shorter than this layer's.
    def self.open(path, expected: ABI_VERSION)
      handle = Fiddle::Handle.new(path)
      advice = "install a newer libtlsplug or point TLSPLUG_LIBRARY at one"
      begin
        sym = handle["tlsplug_get_api"]
      rescue Fiddle::DLError
        have = abi_version_of(handle)
        raise AbiVersionError,
              "libtlsplug at #{path.inspect} has no tlsplug_get_api " \
              "#{have ? "(its ABI version is #{have})" : "(is it libtlsplug?)"}: older than ABI " \
              "version #{expected}, which this binding was generated for; #{advice}"
      end
      get_api = Fiddle::Function.new(sym, [-Fiddle::TYPE_INT, Fiddle::TYPE_VOIDP], Fiddle::TYPE_INT)
      out = Fiddle::Pointer.malloc(Fiddle::SIZEOF_VOIDP, Fiddle::RUBY_FREE)
      out[0, Fiddle::SIZEOF_VOIDP] = "\0" * Fiddle::SIZEOF_VOIDP
      rc = get_api.call(expected, out)
      table = out.ptr
      if rc != 0 || table.null?
        raise AbiVersionError,
              "libtlsplug at #{path.inspect} refuses ABI version #{expected} (tlsplug_get_api " \
              "answered #{rc}): it implements version #{abi_version_of(handle).inspect}, older " \
              "than the version #{expected} this binding was generated for; #{advice}"
      end
      # The layout here is ABI_VERSION's; an older +expected+ has a prefix of it.
      size = table[0, Fiddle::SIZEOF_SIZE_T].unpack1(Fiddle::SIZEOF_SIZE_T == 8 ? "Q" : "L")
      if expected == ABI_VERSION && size < TABLE_SIZE
        raise AbiVersionError,
              "libtlsplug at #{path.inspect} hands out a function table of #{size} bytes, " \
              "shorter than the #{TABLE_SIZE} bytes of ABI version #{expected}: a broken library"
      end
      Library.new(handle, path)
    end

    # A libtlsplug.so.1 shipped next to this file (in the gem, see
    # tlsplug.gemspec), or nil.
    BUNDLED = File.expand_path(SONAME, __dir__)

    # Find and open the library: ENV['TLSPLUG_LIBRARY'] when set, else the
    # one next to this file (BUNDLED) when there is one, else
    # libtlsplug.so.1 on the system path (ldconfig, LD_LIBRARY_PATH).
    def self.load_library(expected: ABI_VERSION)
      env = ENV["TLSPLUG_LIBRARY"]
      return open(env, expected: expected) if env && !env.empty?
      return open(BUNDLED, expected: expected) if File.file?(BUNDLED)

      begin
        open(SONAME, expected: expected)
      rescue Fiddle::DLError => e
        raise LoadError, "tlsplug: cannot load #{SONAME} (#{e.message}); install " \
                         "libtlsplug, or set TLSPLUG_LIBRARY to the library's path"
      end
    end

    # The process's library, loaded (and checked) on first use.
    def self.lib
      @lib ||= load_library
    end
  end

  # Shared by the idiomatic layers (TLSSocket, Server).
  module Runtime
    # An event's payload as its listener's arguments (an Array), by the
    # registry's payload kind (abi/tlsplug.toml documents the layouts; the
    # Python binding's _runtime.decode_payload is the same function).
    def self.decode_payload(kind, data)
      case kind
      when "none" then []
      when "bytes" then [data]
      when "string" then [data.dup.force_encoding(Encoding::UTF_8)]
      when "flag" then [data.getbyte(0) == 1]
      when "u64" then [data.byteslice(0, 8).ljust(8, "\0").unpack1("Q")]
      when "session_record"
        n = data.getbyte(0) || 0
        [data.byteslice(1, n) || "".b, data.byteslice(1 + n, data.bytesize) || "".b]
      when "ocsp_request"
        n = data.bytesize >= 4 ? data.unpack1("N") : 0
        [data.byteslice(4, n) || "".b, data.byteslice(4 + n, data.bytesize) || "".b]
      else
        [data] # a kind from a newer registry: the bytes as they are
      end
    end

    # A plain getter of the registry (ABI::GETTERS), for a generated
    # module's method +name+: obj.getter_call(name) { |handle| ... } runs
    # the block with the handle under obj's thread rule, or answers a value
    # obj kept for +name+ after its handle went away. Python's
    # _runtime.getter is the same function.
    def self.getter(obj, name, function, result, out, cap)
      obj.__send__(:getter_call, name) { |h| call_getter(h, function, result, out, cap) }
    end

    # The C call of a getter and its result, by the registry's result kind
    # (abi/tlsplug.toml documents them): a scalar, or nil on E_UNAVAILABLE
    # for a buffer; any other failure raises Tlsplug::Error.
    def self.call_getter(handle, function, result, out, cap)
      if cap.zero?
        buf = Util.out(out == "size_out" ? 8 : 4)
        Util.check(ABI.lib.public_send(function, handle, buf), handle)
        v = case out
            when "size_out" then Util.out_size(buf)
            when "unsigned_out" then Util.out_uint(buf)
            else Util.out_int(buf)
            end
        return result == "bool" ? v != 0 : v
      end
      data = Util.get_bytes(function, handle, handle: handle, size: cap)
      return data if data.nil? || result == "bytes"
      text = data.force_encoding(Encoding::UTF_8).scrub
      case result
      when "json" then JSON.parse(text)
      when "certificate" then Tlsplug.cert_from_json(text)
      else text
      end
    end
  end
end
