# frozen_string_literal: true

module Tlsplug
  # OpenSSL::SSL::SSLServer's shape over tlsplug: a listening TCPServer (or
  # UNIXServer) whose #accept answers a Tlsplug::SSLSocket after the server
  # handshake.
  #
  #   server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 8443),
  #                                   key: File.read("server.key"), cert: File.read("server-chain.pem"))
  #   loop { Thread.new(server.accept) { |ssl| ssl.puts "hello"; ssl.close } }
  #
  # +context+: a SecureContext, or a Hash of create_secure_context options
  # (made into one context, shared by every connection) and server socket
  # options (request_cert:, reject_unauthorized:, alpn_protocols:), and
  # handshake_timeout: (ms, Node's default 120000; 0: none). A handshake
  # that fails or times out raises from #accept (the connection is closed);
  # the server keeps listening.
  class SSLServer
    SERVER_SOCKET_OPTIONS = %i[request_cert reject_unauthorized alpn_protocols allow_half_open
                               high_water_mark].freeze

    attr_reader :context
    # OpenSSL's: false answers the accepted socket before its handshake
    # (the caller then calls #accept on it).
    attr_accessor :start_immediately

    def initialize(server, context = nil, **options)
      unless server.respond_to?(:accept) && server.respond_to?(:to_io)
        raise InvalidArgTypeError, %(The "server" argument must be a listening server socket. Received #{Check.received(server)})
      end

      options = context.transform_keys(&:to_sym).merge(options) if context.is_a?(Hash)
      @handshake_timeout = options.key?(:handshake_timeout) ? options.delete(:handshake_timeout) : 120_000
      Check.number("options.handshakeTimeout", @handshake_timeout) unless @handshake_timeout.nil?
      @socket_options = options.slice(*SERVER_SOCKET_OPTIONS)
      ctx_opts = options.reject { |k, _| SERVER_SOCKET_OPTIONS.include?(k) }
      case context
      when SecureContext
        raise ArgumentError, "context options given with a SecureContext" unless ctx_opts.empty?

        @context = context
      when Hash, nil then @context = Tlsplug.create_secure_context(**ctx_opts)
      else
        raise InvalidArgTypeError,
              %(The "context" argument must be a Tlsplug::SecureContext or a Hash of options. Received #{Check.received(context)})
      end
      @server = server
      @start_immediately = true
    end

    # The next connection as a Tlsplug::SSLSocket (sync_close), its
    # handshake done unless start_immediately is false.
    def accept
      io = @server.accept
      begin
        sock = SSLSocket.new(io, @context, **@socket_options)
        sock.sync_close = true
        timeout = @handshake_timeout.to_f.positive? ? @handshake_timeout / 1000.0 : nil
        @start_immediately ? sock.accept(timeout: timeout) : sock
      rescue Exception # rubocop:disable Lint/RescueException
        io.close
        raise
      end
    end

    def to_io
      @server.to_io
    end

    def listen(backlog = Socket::SOMAXCONN)
      @server.listen(backlog)
    end

    def addr
      @server.addr
    end

    def close
      @server.close
    end

    def closed?
      @server.closed?
    end

    # OpenSSL's SSLServer#shutdown.
    def shutdown(how = Socket::SHUT_RDWR)
      @server.shutdown(how)
    end
  end
end
