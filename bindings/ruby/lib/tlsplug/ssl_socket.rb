# frozen_string_literal: true

require "io/wait"
require "monitor"
require "socket"

module Tlsplug
  # A blocking, IO-like TLS socket over a connected IO (a TCPSocket, a
  # Socket, a UNIXSocket), shaped as OpenSSL::SSL::SSLSocket so code written
  # for that class (Net::HTTP, ...) runs over tlsplug:
  #
  #   tcp = TCPSocket.new("example.org", 443)
  #   ssl = Tlsplug::SSLSocket.new(tcp, ca: File.read("ca.pem"))
  #   ssl.hostname = "example.org"   # SNI and the identity check
  #   ssl.sync_close = true
  #   ssl.connect
  #   ssl.write("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
  #   ssl.gets
  #
  # It drives the sans-IO pump (a TLSSocket fed and pulled here) in the
  # calling thread, with no loop: reads block on the IO until cleartext
  # arrives; writes block until the ciphertext was written to the IO.
  # As with an IO, one thread may read while another writes.
  # +context+ is a SecureContext, a Hash of options, or nil; options are
  # TLSSocket's and create_secure_context's (servername:, alpn_protocols:,
  # reject_unauthorized:, check_server_identity:, request_cert:, ca:, key:,
  # cert:, ...). Failures raise Tlsplug's errors: SSLError (an
  # OpenSSL::SSL::SSLError), CertificateVerificationError, Tlsplug::SocketErrors::*
  # (the Errno classes) for the transport; a wrong argument raises
  # TypeError/ArgumentError with Node's code at the call.
  class SSLSocket
    include Enumerable

    READ_SIZE = 16 * 1024
    OPTIONS = (TLSSocket::SOCKET_OPTIONS + CONTEXT_OPTIONS - %i[lookup]).freeze

    attr_reader :io, :context, :hostname
    attr_accessor :sync_close, :sync

    # Connect a TCP socket to +host+:+port+ and the TLS session over it
    # (servername defaults to +host+); +connect_timeout+ (seconds) bounds
    # the TCP connect and the handshake, each. A refused or unreachable peer raises
    # Tlsplug::SocketErrors::ECONNREFUSED, ... (the Errno classes), a name that
    # does not resolve Tlsplug::HostLookupError (a SocketError), each with
    # Node's #code.
    def self.open(host, port, context = nil, connect_timeout: nil, **options)
      Check.string("host", host) unless host.nil?
      Tlsplug.__send__(:check_port_host, port, host)
      tcp = tcp(host || "localhost", Integer(port), connect_timeout: connect_timeout)
      begin
        sock = new(tcp, context, **options)
        sock.sync_close = true
        sock.hostname = host unless sock.options.key?(:servername)
        sock.connect(timeout: connect_timeout)
      rescue Exception # rubocop:disable Lint/RescueException
        tcp.close
        raise
      end
    end

    # Socket.tcp, its failures as tlsplug's errors with Node's codes and
    # messages: Tlsplug::SocketErrors::ECONNREFUSED ("connect ECONNREFUSED
    # 127.0.0.1:1"), Tlsplug::HostLookupError ("getaddrinfo ENOTFOUND host").
    def self.tcp(host, port, local_host = nil, local_port = nil, connect_timeout: nil)
      Socket.tcp(host, port, local_host, local_port, connect_timeout: connect_timeout)
    rescue SocketError => e
      code = e.message.include?("Temporary failure") ? "EAI_AGAIN" : "ENOTFOUND"
      raise Errors.make("getaddrinfo #{code} #{host}", code, ABI::E_NET)
    rescue SystemCallError => e
      code = e.class.name.split("::").last
      raise Errors.make("connect #{code} #{host}:#{port}", code, ABI::E_NET)
    end

    def initialize(io, context = nil, **options)
      unless io.respond_to?(:read_nonblock) && io.respond_to?(:write) && io.respond_to?(:to_io)
        raise InvalidArgTypeError, %(The "socket" argument must be a connected IO. Received #{Check.received(io)})
      end

      case context
      when nil then nil
      when Hash then options = context.transform_keys(&:to_sym).merge(options)
      when SecureContext then @context = context
      else
        raise InvalidArgTypeError,
              %(The "context" argument must be a Tlsplug::SecureContext or a Hash of options. Received #{Check.received(context)})
      end
      unknown = options.keys - OPTIONS
      raise ArgumentError, "unknown SSLSocket options: #{unknown.join(', ')}" unless unknown.empty?
      if @context && !(options.keys & CONTEXT_OPTIONS).empty?
        raise ArgumentError, "context options given with a SecureContext: #{(options.keys & CONTEXT_OPTIONS).join(', ')}"
      end
      Check.string("options.servername", options[:servername]) unless options[:servername].nil?
      @io = io
      @options = options
      @tls = nil
      @rbuf = "".b
      @eof = @closed = @secure = false
      @error = nil
      @sync_close = false
      @sync = true
      # One thread may read while another writes (as with IO): the pump's
      # own calls are serialised by TLSSocket; this keeps the ciphertext
      # pulled by two threads in order on the IO.
      @output_lock = Monitor.new
    end

    # The options given (a copy).
    def options
      @options.dup
    end

    # The name for SNI and the identity check (an IP address is checked
    # against the certificate's IP SANs and not sent): before #connect.
    def hostname=(name)
      raise GeneralError.new("hostname= after the handshake started", "ERR_TLSPLUG_STATE") if @tls
      Check.string("hostname", name) unless name.nil?
      @hostname = name
    end

    # The client handshake; answers self once it completed (raises on a
    # failure: a refused certificate, an alert, the peer gone). With
    # +timeout+ (seconds), a handshake not done by then raises
    # Tlsplug::SocketErrors::ETIMEDOUT (an Errno::ETIMEDOUT), code
    # ERR_TLS_HANDSHAKE_TIMEOUT.
    def connect(timeout: nil)
      start(false, timeout)
    end

    # The server handshake (the context needs key: and cert:); +timeout+ as
    # for #connect.
    def accept(timeout: nil)
      start(true, timeout)
    end

    # The handshake has no non-blocking form here: these block as #connect
    # and #accept (exception: is taken for OpenSSL's signature).
    def connect_nonblock(exception: true) # rubocop:disable Lint/UnusedMethodArgument
      connect
    end

    def accept_nonblock(exception: true) # rubocop:disable Lint/UnusedMethodArgument
      accept
    end

    # ---- reading

    # Up to +maxlen+ bytes, blocking until some arrive; EOFError at the end.
    def readpartial(maxlen, outbuf = nil)
      fill_until { !@rbuf.empty? }
      raise EOFError, "end of file reached" if @rbuf.empty?

      give(take(maxlen), outbuf)
    end
    alias sysread readpartial

    # IO#read: all until the end (nil +length+), or +length+ bytes (fewer
    # at the end; nil when nothing is left).
    def read(length = nil, outbuf = nil)
      if length.nil?
        fill_until { false }
        return give(take(@rbuf.bytesize), outbuf)
      end
      raise ArgumentError, "negative length #{length} given" if length.negative?
      return give("".b, outbuf) if length.zero?

      fill_until { @rbuf.bytesize >= length }
      return nil if @rbuf.empty?

      give(take(length), outbuf)
    end

    # What is there without blocking: the buffered cleartext, else what the
    # IO has now. Nothing yet: IO::EAGAINWaitReadable (an IO::WaitReadable),
    # or :wait_readable with exception: false; then wait on #to_io. At the
    # end: EOFError, or nil with exception: false.
    def read_nonblock(maxlen, outbuf = nil, exception: true)
      ensure_open
      while @rbuf.empty? && !@eof
        next unless pump_input(nonblock: true) == :wait_readable

        raise IO::EAGAINWaitReadable, "read would block" if exception

        return :wait_readable
      end
      raise_error
      if @rbuf.empty?
        raise EOFError, "end of file reached" if exception

        return nil
      end
      give(take(maxlen), outbuf)
    end

    # IO#gets: the next line (up to and with +sep+; nil +sep+ reads all),
    # at most +limit+ bytes; nil at the end.
    def gets(sep = $/, limit = nil, chomp: false)
      sep, limit = $/, sep if sep.is_a?(Integer)
      return (limit&.zero? ? "".b : nil) if limit&.zero?

      sep = sep.b if sep
      idx = nil
      fill_until do
        idx = sep && @rbuf.index(sep)
        idx || (limit && @rbuf.bytesize >= limit)
      end
      return nil if @rbuf.empty?

      n = idx ? idx + sep.bytesize : @rbuf.bytesize
      n = [n, limit].min if limit
      line = take(n)
      line = line.byteslice(0, line.bytesize - sep.bytesize) if chomp && sep && line.end_with?(sep)
      line
    end

    def readline(*args, **kw)
      gets(*args, **kw) or raise EOFError, "end of file reached"
    end

    # Each line until the end (an Enumerator without a block).
    def each_line(*args, **kw)
      return enum_for(:each_line, *args, **kw) unless block_given?

      while (line = gets(*args, **kw))
        yield line
      end
      self
    end
    alias each each_line

    def readlines(*args, **kw)
      each_line(*args, **kw).to_a
    end

    def getc
      read(1)
    end

    # true when the peer ended and everything was read (blocks until
    # cleartext or the end arrives, as IO#eof?).
    def eof?
      fill_until { !@rbuf.empty? }
      @rbuf.empty?
    end
    alias eof eof?

    # Cleartext received and not read yet.
    def pending
      @rbuf.bytesize
    end

    # ---- writing

    # Write every object's to_s; answers the bytes written. Blocks until
    # the ciphertext was written to the IO.
    def write(*objects)
      objects.sum { |o| syswrite(o) }
    end

    def syswrite(data)
      ensure_open
      raise_error
      b = Util.bytes(data)
      return 0 if b.empty?

      @tls.write(b)
      flush_output
      raise_error
      b.bytesize
    end

    # As #syswrite (the ciphertext is written before it returns; an IO
    # that is not writable blocks). exception: is accepted for
    # IO#write_nonblock's signature.
    def write_nonblock(data, exception: true) # rubocop:disable Lint/UnusedMethodArgument
      syswrite(data)
    end

    def <<(obj)
      write(obj)
      self
    end

    def print(*args)
      write(*args)
      nil
    end

    def puts(*args)
      return write("\n") && nil if args.empty?

      args.flatten.each { |a| s = a.to_s; write(s.end_with?("\n") ? s : "#{s}\n") }
      nil
    end

    def printf(format, *args)
      write(format(format, *args))
      nil
    end

    # Writes go through at once: nothing to flush.
    def flush
      self
    end

    # ---- closing

    # Send close_notify (once the session is up) and, with #sync_close,
    # close the IO. Safe twice.
    def close
      return nil if @closed

      @closed = true
      begin
        if @tls && @secure && @error.nil?
          @tls.end
          flush_output
        end
      rescue StandardError
        nil # the peer may be gone already: closing goes on
      ensure
        @tls&.close
        @io.close if @sync_close && !@io.closed?
      end
      nil
    end
    alias sysclose close

    def closed?
      @closed
    end

    # ---- the session

    # The peer's certificate: an OpenSSL::X509::Certificate (its DER when
    # Ruby has no openssl); nil when the peer sent none.
    def peer_cert
      raw = tls&.get_peer_certificate&.fetch("raw", nil)
      raw && SSLSocket.certificate(raw)
    end

    # The chain the peer's certificate verified through, leaf first, as
    # #peer_cert's objects; nil when the peer sent no certificate.
    def peer_cert_chain
      c = tls&.get_peer_certificate(true)
      return nil if c.nil? || c.empty?

      chain = []
      while c.is_a?(Hash) && c["raw"]
        chain << SSLSocket.certificate(c["raw"])
        nxt = c["issuerCertificate"]
        break if nxt.equal?(c)

        c = nxt
      end
      chain
    end

    # OpenSSL's [name, version, bits, algorithm bits]; nil before the handshake.
    def cipher
      c = tls&.get_cipher
      return nil if c.nil?

      bits = c["name"][/AES_?(128|256)/, 1]&.to_i || (c["name"].include?("CHACHA20") ? 256 : nil)
      [c["name"], c["version"], bits, bits]
    end

    # "TLSv1.3", "TLSv1.2" (OpenSSL's names, as Node's); nil before.
    def ssl_version
      tls&.get_protocol
    end

    def alpn_protocol
      p = tls&.alpn_protocol
      p.is_a?(String) ? p : nil
    end

    # OpenSSL's verify_result: 0 (X509_V_OK) when the peer was
    # authorized, else OpenSSL's number for Node's authorizationError
    # (nil when OpenSSL has none).
    def verify_result
      t = tls
      return nil if t.nil?
      return 0 if t.authorized

      code = t.authorization_error
      code.is_a?(String) ? Errors.make("", code, ABI::E_VERIFY).verify_result : nil
    end

    # OpenSSL's post_connection_check: raises IdentityError unless the
    # peer's certificate is for +hostname+; answers true.
    def post_connection_check(hostname)
      raw = tls&.get_peer_certificate
      err = raw && !raw.empty? ? Tlsplug.check_server_identity(hostname, raw) : nil
      raise err if err
      raise CertificateVerificationError.new("the peer sent no certificate", "ERR_TLS_CERT_MISSING", ABI::E_VERIFY) if raw.nil? || raw.empty?

      true
    end

    # The session's TLSSocket (for Node's getters: authorized,
    # get_session, get_finished, ...); nil before #connect / #accept.
    def tls_socket
      @tls
    end

    # ---- the IO underneath (OpenSSL's SocketForwarder)

    def to_io
      @io.to_io
    end

    def fileno
      to_io.fileno
    end

    %i[addr peeraddr local_address remote_address setsockopt getsockopt fcntl].each do |m|
      define_method(m) { |*args| @io.__send__(m, *args) }
    end

    def inspect
      "#<Tlsplug::SSLSocket #{@tls ? (@tls.is_server ? 'server' : 'client') : 'new'}" \
        "#{@secure ? ' secure' : ''}#{@closed ? ' closed' : ''}>"
    end

    # An OpenSSL::X509::Certificate of +der+ (the DER when openssl is absent).
    def self.certificate(der)
      defined?(OpenSSL::X509::Certificate) ? OpenSSL::X509::Certificate.new(der) : der
    end

    private

    def tls
      @tls
    end

    def start(server, timeout)
      raise GeneralError.new("the handshake was started already", "ERR_TLSPLUG_STATE") if @tls
      raise IOError, "closed stream" if @closed
      o = @options.dup
      o[:servername] = @hostname if !server && @hostname && !o.key?(:servername)
      @tls = TLSSocket.new(is_server: server, secure_context: @context, **o)
      @tls.on("data") { |d| @rbuf << d }
      @tls.on("end") { @eof = true }
      @tls.on("close") { |*| @eof = true }
      @tls.on("error") { |e| @error ||= e }
      @tls.on(server ? "secure" : "secureConnect") { @secure = true }
      @tls.start
      flush_output
      @deadline = timeout && Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      begin
        fill_until { @secure }
      ensure
        @deadline = nil
      end
      raise_error
      unless @secure
        raise Errors.make("Client network socket disconnected before secure TLS connection was established",
                          "ECONNRESET", ABI::E_NET)
      end
      self
    end

    def ensure_open
      raise IOError, "closed stream" if @closed
      raise GeneralError.new("not connected: call connect or accept first", "ERR_TLSPLUG_STATE") if @tls.nil?
    end

    # Read and feed until the block holds, the peer ended, or an error.
    def fill_until
      ensure_open
      until yield || @eof
        raise_error
        pump_input(nonblock: false)
      end
      raise_error if @rbuf.empty?
    end

    # One read from the IO into the pump (blocking unless +nonblock+):
    # nil, or :wait_readable when the IO had nothing.
    def pump_input(nonblock:)
      data = transport("read") { @io.read_nonblock(READ_SIZE, exception: false) }
      case data
      when :wait_readable
        return :wait_readable if nonblock

        wait_readable
      when :wait_writable
        transport("read") { @io.to_io.wait_writable }
      when nil
        @tls.feed_eof
        @eof = true
      else
        @tls.feed(data)
      end
      flush_output
      nil
    end

    # Wait for the IO to be readable, until the handshake's deadline if one is set.
    def wait_readable
      left = @deadline && @deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
      return if transport("read") { @io.to_io.wait_readable(left&.clamp(0, nil)) }

      @error = Errors.make("TLS handshake timeout", "ERR_TLS_HANDSHAKE_TIMEOUT", ABI::E_NET)
      @tls.destroy
      raise @error
    end

    # Write everything the pump has for the peer.
    def flush_output
      @output_lock.synchronize do
        loop do
          out = @tls.pull
          break if out.empty?

          transport("write") { @io.write(out) }
        end
      end
    end

    # A failure of the IO as tlsplug's error of its kind (its Errno, Node's code).
    def transport(what)
      yield
    rescue SystemCallError => e
      raise if e.is_a?(Error)

      code = e.class.name.split("::").last
      @error ||= Errors.make("#{what} #{code}", code, ABI::E_NET)
      raise @error
    end

    def raise_error
      raise @error if @error
    end

    def take(n)
      s = @rbuf.byteslice(0, n)
      @rbuf = @rbuf.byteslice(n, @rbuf.bytesize - n) || "".b
      s
    end

    def give(data, outbuf)
      return data if outbuf.nil?

      outbuf.replace(data)
    end
  end
end
