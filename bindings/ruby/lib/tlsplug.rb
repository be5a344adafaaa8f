# frozen_string_literal: true

# tlsplug for Ruby: Node.js's tls module (libtlsplug, on GnuTLS) through
# Fiddle. The generated low layer is Tlsplug::ABI (lib/tlsplug/abi.rb); this
# file and lib/tlsplug/*.rb are the idiomatic layer, Node's names in
# snake_case. The library is found through ENV['TLSPLUG_LIBRARY'], then
# libtlsplug.so.1 on the system path; an older library is refused.
require_relative "tlsplug/abi"
require_relative "tlsplug/error"
require_relative "tlsplug/events"
require_relative "tlsplug/loop"
require_relative "tlsplug/context"
require_relative "tlsplug/psk"
require_relative "tlsplug/tlssocket"
require_relative "tlsplug/server"
require_relative "tlsplug/module"
require_relative "tlsplug/version"
require_relative "tlsplug/ssl_socket"
require_relative "tlsplug/ssl_server"
require_relative "tlsplug/deprecation"
require_relative "tlsplug/x509"
require_relative "tlsplug/roots"
require_relative "tlsplug/secure_pair"

module Tlsplug
  ABI.lib # load and check the library now
  # Net::HTTP over tlsplug (loads net/http on first use).
  autoload :NetHTTP, File.expand_path("tlsplug/net_http", __dir__)

  CONNECT_OPTIONS = %i[servername session alpn_protocols check_server_identity reject_unauthorized
                       min_dh_size high_water_mark request_ocsp allow_half_open lookup].freeze

  # This thread's default loop, made on first use (one per thread).
  def self.default_loop
    l = Thread.current[:tlsplug_loop]
    l = Thread.current[:tlsplug_loop] = Loop.new if l.nil? || l.handle.nil?
    l
  end

  # Drive this thread's loop in the calling thread until nothing is left to
  # do, the block (if given) answers true (checked after every event), or
  # +timeout+ seconds passed. Answers whether anything is still left to do.
  def self.run(timeout: nil, &until_blk)
    default_loop.run(timeout: timeout, &until_blk)
  end

  # Node's setTimeout(blk, ms) on this thread's loop.
  def self.set_timeout(ms = 0, &blk)
    default_loop.set_timeout(ms, &blk)
  end

  # Node's setInterval on this thread's loop.
  def self.set_interval(ms = 0, &blk)
    default_loop.set_interval(ms, &blk)
  end

  # Node's clearTimeout: nil, fired or cleared timers are ignored.
  def self.clear_timeout(timer)
    timer&.cancel
    nil
  end

  class << self
    alias clear_interval clear_timeout
  end

  # Node's tls.connect(port, host, options, callback) on this thread's loop
  # (drive it with Tlsplug.run). Exactly one of port (host defaults to
  # "localhost"), path: (a Unix socket) or socket: (a connected IO/Socket:
  # its fd is dup'ed and the copy adopted). Options: servername:, session:,
  # alpn_protocols:, check_server_identity:, reject_unauthorized: (true),
  # min_dh_size:, high_water_mark:, request_ocsp:, allow_half_open:,
  # lookup: (a Proc (hostname, options, callback(err, address, family))),
  # timeout: (ms, Node's setTimeout), secure_context: or any
  # create_secure_context option. The block is a 'secureConnect' listener;
  # it gets the socket.
  # Failures (ECONNREFUSED, verification) arrive as 'error' events.
  def self.connect(port = nil, host = nil, **options, &on_secure_connect)
    if port.is_a?(Hash)
      options = port.transform_keys(&:to_sym).merge(options)
      port = nil
    end
    port = options.delete(:port) if port.nil?
    host = options.delete(:host) if host.nil? && options.key?(:host)
    check_port_host(port, host)
    Deprecation.ip_servername(options[:servername]) if options[:servername]
    path = options.delete(:path)
    io = options.delete(:socket)
    timeout = options.delete(:timeout)
    loop = options.delete(:loop) || default_loop
    ctx = options.delete(:secure_context)
    ctx_opts = options.slice(*CONTEXT_OPTIONS)
    options = options.reject { |k, _| CONTEXT_OPTIONS.include?(k) }
    unknown = options.keys - CONNECT_OPTIONS
    raise ArgumentError, "unknown connect options: #{unknown.join(', ')}" unless unknown.empty?
    raise ArgumentError, "context options given with secure_context" if ctx && !ctx_opts.empty?
    own = ctx.nil? ? create_secure_context(**ctx_opts) : nil
    begin
      sock = TLSSocket.new(secure_context: ctx || own, **options)
    ensure
      own&.close
    end
    if on_secure_connect
      # The block gets the socket (Node passes nothing; a Ruby caller
      # expects it). A zero-argument lambda is called without it.
      pass_sock = !(on_secure_connect.lambda? && on_secure_connect.arity.zero?)
      sock.once("secureConnect") { pass_sock ? on_secure_connect.call(sock) : on_secure_connect.call }
    end
    sock.attach(loop)
    sock.connecting = true
    begin
      rc = if io
             dup = io.to_io.dup # the loop owns (and closes) the copy
             dup.autoclose = false
             fd = dup.fileno
             ABI.lib.loop_adopt(loop.live_handle, sock.handle, fd)
           elsif path
             ABI.lib.loop_connect_path(loop.live_handle, sock.handle, Util.cstr(path))
           else
             raise ArgumentError, "connect needs a port, a path: or a socket:" if port.nil?
             sock.host = host || "localhost"
             ABI.lib.loop_connect(loop.live_handle, sock.handle, Util.cstr(host), port.to_i)
           end
      if rc.negative?
        err = Util.error_from(sock.handle, rc, "connect")
        sock.close
        raise err
      end
      sock.set_timeout(timeout) if timeout
    rescue Exception # rubocop:disable Lint/RescueException
      loop.release(sock)
      raise
    end
    sock
  end

  # Node's checks on connect's port and host, at the call:
  # connect("localhost", 8000) raises (ERR_SOCKET_BAD_PORT), never
  # resolves "8000". A port is an Integer 0..65535 or a String of digits.
  def self.check_port_host(port, host)
    ok = case port
         when nil then true
         when Integer then port.between?(0, 65_535)
         when String then port.match?(/\A\s*\d+\s*\z/) && port.to_i.between?(0, 65_535)
         else false
         end
    unless ok
      raise OutOfRangeError.new("Port should be >= 0 and < 65536. Received #{Check.received(port)}.",
                                "ERR_SOCKET_BAD_PORT")
    end
    return if host.nil? || host.is_a?(String)

    raise InvalidArgTypeError, %(The "hostname" argument must be of type string. Received #{Check.received(host)})
  end
  private_class_method :check_port_host

  # Node's tls.createServer(options, secureConnectionListener). Options
  # (snake_case): request_cert:, reject_unauthorized: (true),
  # handshake_timeout: (ms), session_timeout: (s), alpn_protocols:,
  # ticket_keys: (48 bytes), allow_half_open:, pause_on_connect:,
  # secure_context:, and every create_secure_context option. As Node's
  # createServer(listener), a Proc (or anything callable) given alone is the
  # 'secureConnection' listener, as a block is.
  def self.create_server(options = {}, &secure_connection_listener)
    Server.new(options, &secure_connection_listener)
  end

  def self.version
    ABI.lib.version_string.to_s
  end
end
