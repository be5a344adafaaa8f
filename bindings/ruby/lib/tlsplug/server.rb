# frozen_string_literal: true

module Tlsplug
  # Node's tls.Server on tlsplug's loop. Made by Tlsplug.create_server;
  # #listen puts it on the thread's loop.
  #
  # Events (Node's names and arguments): 'listening', 'connection' (socket,
  # before the handshake), 'secureConnection' (socket), 'tlsClientError'
  # (err, socket), 'newSession' (session_id, session_data, cb), 'resumeSession'
  # (session_id, cb(err, session_data)), 'keylog' (line, socket), 'close',
  # 'error' (err). +cb+ is a Proc; a listener that never calls it stalls
  # that connection, as in Node.
  #
  # Threads: once #listen put it on a loop, a server is used from the loop's
  # thread only (WrongThreadError otherwise, as its sockets); before that it
  # is configured from one thread at a time, as a context is.
  class Server
    include EventEmitter
    include ABI::ServerGetters

    # Every event a server raises (the registry's `source`), all registered.
    SERVER_EVENTS = ABI::EVENTS.select { |_ev, info| info[3].include?("server") }.keys.freeze
    SERVER_OPTIONS = %i[request_cert reject_unauthorized handshake_timeout session_timeout
                        alpn_protocols ticket_keys secure_context allow_half_open
                        pause_on_connect sni_callback alpn_callback session_store
                        session_cache_size].freeze

    attr_reader :max_connections

    # The context a server makes from its options: as Node's Server, with
    # honorCipherOrder true unless given (a plain context's default is the
    # client's order).
    def self.context_from(options)
      options = options.merge(honor_cipher_order: true) if options[:honor_cipher_order].nil?
      Tlsplug.create_secure_context(**options)
    end

    def self.finalizer(cell)
      # cell: [handle or nil, the loop it listens on]. A finalizer runs on
      # any thread: a handle on another thread's loop is freed by that thread.
      proc do
        h, loop = cell
        if h
          if loop&.handle && !Thread.current.equal?(loop.thread)
            loop.defer_free(:server_free, h)
          else
            ABI.lib.server_free(h)
          end
        end
      end
    end

    def initialize(options = {}, &secure_connection_listener)
      # Node's createServer(listener): a callable alone is the listener.
      options, secure_connection_listener = {}, options if options.respond_to?(:call) && secure_connection_listener.nil?
      options = {} if options.nil?
      unless options.is_a?(Hash)
        raise InvalidArgTypeError, %(The "options" argument must be of type object. Received #{Check.received(options)})
      end

      opts = options.transform_keys(&:to_sym)
      ctx_opts = opts.slice(*CONTEXT_OPTIONS)
      opts = opts.reject { |k, _| CONTEXT_OPTIONS.include?(k) }
      unknown = opts.keys - SERVER_OPTIONS
      raise ArgumentError, "unknown server options: #{unknown.join(', ')}" unless unknown.empty?
      # Node throws at the call, before anything is made; nil is undefined
      # (the default), never false/0.
      Check.callable("options.SNICallback", opts[:sni_callback]) unless opts[:sni_callback].nil?
      unless opts[:alpn_callback].nil?
        Check.callable("options.ALPNCallback", opts[:alpn_callback])
        raise ALPNCallbackWithProtocolsError unless opts[:alpn_protocols].nil?
      end
      Check.number("options.handshakeTimeout", opts[:handshake_timeout]) unless opts[:handshake_timeout].nil?
      Check.int("options.sessionTimeout", opts[:session_timeout], 0, 2**31 - 1) unless opts[:session_timeout].nil?
      Check.int("options.sessionCacheSize", opts[:session_cache_size], 0, 2**31 - 1) unless opts[:session_cache_size].nil?
      Check.string("options.sessionStore", opts[:session_store]) unless opts[:session_store].nil?
      ctx = opts[:secure_context]
      raise ArgumentError, "context options given with secure_context" if ctx && !ctx_opts.empty?
      own = ctx.nil? ? Server.context_from(ctx_opts) : nil
      ctx ||= own
      begin
        buf = Util.out
        Util.check(ABI.lib.server_new(ctx.handle, buf), ctx.handle, "createServer")
        @handle = Util.out_handle(buf)
      ensure
        own&.close # the server keeps its own reference
      end
      @cell = [@handle]
      ObjectSpace.define_finalizer(self, self.class.finalizer(@cell))
      @key = Dispatch.register(self)
      @loop = nil
      @owner = nil # the loop's thread, from #listen on
      @sockets = {}
      @max_connections = nil
      @listening = false
      SERVER_EVENTS.each { |ev| call(:server_on, ev, Dispatch::SERVER_CB_PTR, @key) }
      call(:server_set_request_cert, 1) if opts[:request_cert]
      # Node's server default: rejectUnauthorized true (it matters with requestCert).
      call(:server_set_reject_unauthorized, opts[:reject_unauthorized].nil? || opts[:reject_unauthorized] ? 1 : 0)
      call(:server_set_handshake_timeout, opts[:handshake_timeout].to_i) if opts[:handshake_timeout]
      call(:server_set_session_timeout, opts[:session_timeout].to_i) if opts[:session_timeout]
      if opts[:alpn_protocols]
        w = Tlsplug.alpn_wire(opts[:alpn_protocols])
        call(:server_set_alpn_protocols, w, w.bytesize)
      end
      @sni_callback = opts[:sni_callback]
      call(:server_set_sni_callback, 1) if @sni_callback
      @alpn_callback = opts[:alpn_callback]
      @psk_callback = ctx.psk_callback
      call(:server_set_alpn_callback, 1) if @alpn_callback
      if opts[:ticket_keys].is_a?(String) && opts[:ticket_keys].start_with?("redis://", "redis+unix://")
        # A Redis key holding the fleet's 48 bytes, read by the library.
        call(:server_load_ticket_keys, opts[:ticket_keys])
      elsif opts[:ticket_keys]
        self.ticket_keys = Server.ticket_keys_option(opts[:ticket_keys])
      end
      # Where TLS 1.2 sessions are kept: "memory" (the default cache),
      # "redis://HOST[:PORT][/DB]" or "redis+unix:///PATH".
      call(:server_set_session_cache_size, opts[:session_cache_size].to_i) unless opts[:session_cache_size].nil?
      call(:server_use_session_store, opts[:session_store].to_s) unless opts[:session_store].nil?
      @allow_half_open = opts[:allow_half_open]
      @pause_on_connect = opts[:pause_on_connect]
      on("secureConnection", &secure_connection_listener) if secure_connection_listener
    end

    def handle
      raise WrongThreadError, "this Server" if @owner && !Thread.current.equal?(@owner)
      @handle or raise Error.new("Server is closed (its handle was freed)", "ERR_TLSPLUG_CLOSED",
                                 ABI::E_BADHANDLE)
    end

    def listening?
      @listening
    end

    def call(fn, *args, what: "")
      h = handle
      Util.check(ABI.lib.public_send(fn, h, *args), h, what)
    end
    private :call

    # A generated getter's call (ABI::ServerGetters): the block with the handle.
    def getter_call(_name)
      yield handle
    end
    private :getter_call

    def event_loop
      @loop
    end

    # Free the handle (stops listening without events).
    def free
      raise WrongThreadError, "this Server" if @handle && @owner && !Thread.current.equal?(@owner)
      h = @handle
      @handle = nil
      @cell[0] = nil
      @loop&.release(self)
      ABI.lib.server_free(h) if h
      nil
    end

    def forget(sock) # :nodoc:
      @sockets.delete_if { |_h, s| s.equal?(sock) }
    end

    def listener_added(event)
      return unless @handle && %w[newSession resumeSession OCSPRequest keylog].include?(event)
      if @owner && !Thread.current.equal?(@owner)
        listeners_table[event].pop
        raise WrongThreadError, "this Server"
      end
      case event
      when "newSession", "resumeSession" then ABI.lib.server_set_session_store(@handle, 1)
      when "OCSPRequest" then ABI.lib.server_set_ocsp(@handle, 1)
      when "keylog" then ABI.lib.server_set_keylog(@handle, 1)
      end
    end
    private :listener_added

    # One server event from C; its payload decoded by the registry's
    # description (ABI::EVENTS), so only the behaviour is written here.
    def on_c_event(event, subject, payload)
      info = ABI::EVENTS[event]
      return if info.nil? # an event from a newer library

      args = Runtime.decode_payload(info[1], payload)
      case event
      when ABI::EV_LISTENING
        @listening = true
        emit("listening")
      when ABI::EV_CONNECTION
        sock = TLSSocket.new(is_server: true, _handle: subject, _accepted: true)
        sock.server = self
        @sockets[subject] = sock
        sock.attach(@loop)
        ABI.lib.socket_set_allow_half_open(subject, @allow_half_open ? 1 : 0) unless @allow_half_open.nil?
        sock.pause if @pause_on_connect
        emit("connection", sock)
      when ABI::EV_SECURE_CONNECTION
        sock = @sockets[subject]
        if sock
          sock.instance_variable_set(:@secure, true)
          emit("secureConnection", sock)
        end
      when ABI::EV_TLS_CLIENT_ERROR
        err = Util.error_from(subject, ABI::E_TLS)
        err.code = args[0] unless args[0].empty?
        emit("tlsClientError", err, @sockets[subject])
      when ABI::EV_SNI_CALLBACK then answer_sni(subject, *args)
      when ABI::EV_ALPN_CALLBACK then answer_alpn(subject, *args)
      when ABI::EV_PSK then PSK.answer_server(subject, @psk_callback, @sockets[subject], *args)
      when ABI::EV_NEW_SESSION
        ask("newSession", args) do |*_|
          answered(subject, ABI.lib.socket_new_session_done(subject), "newSession")
        end
      when ABI::EV_RESUME_SESSION
        ask("resumeSession", args) do |err = nil, data = nil|
          d = data && err.nil? ? Util.bytes(data) : nil
          answered(subject, ABI.lib.socket_resume_session_done(subject, d, d ? d.bytesize : 0),
                   "resumeSession")
        end
      when ABI::EV_OCSP_REQUEST
        ask("OCSPRequest", args) do |err = nil, response = nil|
          r = response && err.nil? && !response.empty? ? Util.bytes(response) : nil
          answered(subject, ABI.lib.socket_ocsp_done(subject, r, r ? r.bytesize : 0), "OCSPRequest")
        end
      when ABI::EV_KEYLOG then emit("keylog", *args, @sockets[subject])
      when ABI::EV_CLOSE
        @listening = false
        loop = @loop
        begin
          emit("close")
        ensure
          loop&.release(self)
        end
      when ABI::EV_ERROR
        st = Util.out(4)
        ABI.lib.error_detail(@handle, st, nil, nil, nil)
        status = Util.out_int(st)
        err = Util.error_from(@handle, status.zero? ? ABI::E_NET : status)
        err.code = args[0] unless args[0].empty?
        emit("error", err)
      end
    end
    private :on_c_event

    # A server event with Node's callback: answered once; with no listener,
    # answered at once with nothing.
    def ask(event, args, &answer)
      done = false
      loop = @loop
      cb = proc do |*a|
        next if done
        loop&.check_thread!("this Server")
        done = true
        answer.call(*a)
      end
      cb.call unless emit(event, *args, cb)
    end
    private :ask

    # Node's SNICallback(servername, cb): the sni_callback: Proc gets the
    # name and cb (a Proc taking (err, context)); cb answers once, from the
    # Proc or later. context: a SecureContext, a Hash of
    # create_secure_context options, or nil (the server's own); an err fails
    # the handshake ('tlsClientError'). A raising Proc answers with its error.
    def answer_sni(subject, servername)
      done = false
      loop = @loop
      cb = proc do |err = nil, ctx = nil|
        next if done
        loop&.check_thread!("this Server")
        done = true
        error = nil
        context = own = nil
        if err
          error = (err.respond_to?(:message) ? err.message : err.to_s)
          error = "Invalid SNI context" if error.empty?
        elsif ctx.is_a?(SecureContext)
          context = ctx
        elsif ctx.is_a?(Hash)
          begin
            context = own = Tlsplug.create_secure_context(**ctx.transform_keys(&:to_sym))
          rescue StandardError => e # the connection fails; the host hears why
            error = e.message.empty? ? "Invalid SNI context" : e.message
          end
        elsif ctx
          error = "Invalid SNI context"
        end
        begin
          answered(subject, ABI.lib.socket_sni_done(subject, context&.handle, Util.cstr(error)),
                   "SNICallback")
        ensure
          own&.close # the socket keeps its own reference
        end
      end
      begin
        @sni_callback.call(servername, cb)
      rescue StandardError => e
        cb.call(e)
        raise
      end
    end
    private :answer_sni

    # Node's ALPNCallback({servername, protocols}): the alpn_callback Proc
    # gets a Hash ("servername", "protocols": Strings) and answers the
    # protocol to select, or nil to refuse the client (alert
    # no_application_protocol). An answer the client did not offer fails
    # the connection ('tlsClientError' ERR_TLS_ALPN_CALLBACK_INVALID_RESULT).
    def answer_alpn(subject, wire)
      servername = @sockets[subject]&.servername
      protocols = []
      i = 0
      while i < wire.bytesize
        n = wire.getbyte(i)
        protocols << wire.byteslice(i + 1, n).force_encoding(Encoding::UTF_8).scrub
        i += 1 + n
      end
      begin
        chosen = @alpn_callback.call({ "servername" => servername, "protocols" => protocols })
      rescue StandardError
        alpn_done(subject, nil)
        raise
      end
      # A non-String matches nothing, as Node's indexOf of a non-string.
      alpn_done(subject, chosen.nil? ? nil : (chosen.is_a?(String) ? chosen.b : "".b))
    end
    private :answer_alpn

    def alpn_done(subject, answer)
      rc = ABI.lib.socket_alpn_callback_done(subject, answer, answer ? answer.bytesize : 0)
      # E_TLS: the connection failed, which its events tell.
      Util.check(rc, subject, "ALPNCallback") unless rc == ABI::E_TLS
    end
    private :alpn_done

    # The status of an answer (sni_done, new_session_done, ...). When the
    # connection is gone (freed, closed or failed, before or because of the
    # answer) its own 'error'/'close' events tell the story, and Node too
    # drops an answer for a closed socket; any other failure is raised.
    def answered(subject, rc, what)
      return if rc >= 0

      flags = Util.out(4)
      return if ABI.lib.socket_state(subject, flags) != 0 ||
                (Util.out_uint(flags) & (ABI::STATE_CLOSED | ABI::STATE_ERROR)) != 0

      raise Util.error_from(subject, rc, what)
    end
    private :answered

    # Node's server.listen(port, host, backlog, cb), or listen(path: ...).
    # 'listening' follows from the loop. A bind failure (EADDRINUSE, ...) is
    # an 'error' event when there is an 'error' listener, else it raises.
    def listen(port = 0, host = nil, backlog: 0, path: nil, loop: nil, &on_listening)
      if port.is_a?(Hash)
        o = port.transform_keys(&:to_sym)
        port = o.fetch(:port, 0)
        host = o.fetch(:host, host)
        path = o.fetch(:path, path)
        backlog = o.fetch(:backlog, backlog)
      end
      loop ||= @loop || Tlsplug.default_loop
      loop.check_thread!("this loop")
      raise WrongThreadError, "this Server" if @owner && !@owner.equal?(loop.thread)
      @loop = loop
      @owner = loop.thread # from now on, the loop's thread only
      @cell[1] = loop
      once("listening", &on_listening) if on_listening
      %w[newSession resumeSession OCSPRequest keylog].each { |ev| listener_added(ev) if listener_count(ev).positive? }
      h = handle
      rc = if path
             ABI.lib.loop_listen_path(@loop.live_handle, h, Util.cstr(path), backlog.to_i)
           else
             ABI.lib.loop_listen(@loop.live_handle, h, Util.cstr(host), port.to_i, backlog.to_i)
           end
      if rc.negative?
        err = Util.error_from(h, rc, "listen")
        raise err unless listener_count("error").positive?
        @loop.set_timeout(0) { emit("error", err) }
        return self
      end
      @loop.hold(self)
      self
    end

    # Node's server.address(): {port:, family:, address:} (the String keys
    # "port", ... read the same), the path for
    # a Unix socket, nil when not listening.
    def address
      h = handle
      port = Util.out(4)
      fam = Util.out(4)
      n = Util.out
      buf = Util.out(256)
      rc = ABI.lib.server_address(h, buf, 256, n, port, fam)
      return nil if rc == ABI::E_STATE
      Util.check(rc, h, "address")
      addr = buf.byteslice(0, Util.out_size(n)).force_encoding(Encoding::UTF_8)
      f = Util.out_int(fam)
      return addr if f.zero?
      Util.address_hash(Util.out_int(port), TLSSocket::FAMILIES.fetch(f, f.to_s), addr)
    end

    # Node's server.close(cb): stop accepting; 'close' once the last
    # connection closed; cb.call then, or cb.call(err)
    # (ERR_SERVER_NOT_RUNNING) when it was not listening.
    def close(&cb)
      h = handle
      rc = ABI.lib.server_close(h)
      if rc == ABI::E_STATE
        if cb
          err = Util.error_from(h, rc, "close")
          err.code = "ERR_SERVER_NOT_RUNNING"
          (@loop || Tlsplug.default_loop).set_timeout(0) { cb.call(err) }
        end
        return self
      end
      Util.check(rc, h, "close")
      once("close", &cb) if cb
      self
    end

    def max_connections=(n)
      call(:server_set_max_connections, n.nil? ? -1 : n.to_i)
      @max_connections = n
    end

    # Node's getConnections(cb): cb.call(nil, count) from the loop.
    def get_connections(&cb)
      count = connections
      (@loop || Tlsplug.default_loop).set_timeout(0) { cb.call(nil, count) }
      self
    end

    # Node's addContext(hostname, context): a SecureContext or a Hash of
    # create_secure_context options.
    # The server keeps its own reference (a context made here from options
    # is released at once). Answers self.
    def add_context(hostname, context)
      own = context.is_a?(SecureContext) ? nil : Tlsplug.create_secure_context(**context.transform_keys(&:to_sym))
      begin
        call(:server_add_context, Util.cstr(hostname), (own || context).handle, what: "addContext")
      ensure
        own&.close
      end
      self
    end

    # Node's server.setSecureContext(options): a SecureContext or its options,
    # for connections accepted from now on.
    def set_secure_context(options)
      own = options.is_a?(SecureContext) ? nil : Server.context_from(options.transform_keys(&:to_sym))
      begin
        call(:server_set_secure_context, (own || options).handle, what: "setSecureContext")
      ensure
        own&.close # the server holds its own reference
      end
      self
    end

    # The ticket_keys option checked as Node's createServer checks it.
    def self.ticket_keys_option(keys)
      unless keys.is_a?(String)
        raise InvalidArgTypeError, %(The "options.ticketKeys" property must be a binary String. Received #{Check.received(keys)})
      end
      unless keys.bytesize == 48
        raise InvalidArgValueError, "The property 'options.ticketKeys' must be exactly 48 bytes. Received #{keys.bytesize}"
      end

      keys
    end

    # The generated get_ticket_keys (Node's getTicketKeys()), as the option's name.
    alias ticket_keys get_ticket_keys

    def ticket_keys=(keys)
      b = Util.bytes(keys)
      call(:server_set_ticket_keys, b, b.bytesize, what: "setTicketKeys")
    end

    # Node's server.setTicketKeys(keys), as the setter.
    def set_ticket_keys(keys)
      self.ticket_keys = keys
      nil
    end
  end
end
