# frozen_string_literal: true

require "json"
require "base64"
require "monitor"

module Tlsplug
  # Node's wire form of an ALPN list (convertALPNProtocols): each name after
  # its length byte. A String is taken as already in wire form, as Node takes
  # a Buffer. A name over 255 bytes is Node's ERR_OUT_OF_RANGE (Node's text);
  # one that is no String or Symbol is ERR_INVALID_ARG_TYPE.
  def self.alpn_wire(protocols)
    return protocols.b if protocols.is_a?(String)
    unless protocols.respond_to?(:each_with_index)
      raise InvalidArgTypeError, %(The "ALPNProtocols" argument must be an Array of names or a String. Received #{Check.received(protocols)})
    end

    protocols.each_with_index.map do |p, i|
      p = p.to_s if p.is_a?(Symbol) # alpn_protocols: [:h2] reads as Ruby
      unless p.is_a?(String)
        raise InvalidArgTypeError, %(The "ALPNProtocols[#{i}]" element must be of type string. Received #{Check.received(p)})
      end
      b = p.b
      if b.bytesize > 255
        raise OutOfRangeError, "The byte length of the protocol at index #{i} exceeds the maximum length. " \
                               "It must be <= 255. Received #{b.bytesize}"
      end
      raise ArgumentError, "ALPN protocol name at index #{i} is empty" if b.empty?

      b.bytesize.chr.b + b
    end.join.b
  end

  # Node's certificate object from the library's JSON: raw and pubkey back
  # to binary Strings, the "[Circular]" root marker back to a self reference.
  def self.cert_from_json(text)
    return nil if text.nil?
    obj = JSON.parse(text)
    node = obj
    while node.is_a?(Hash)
      %w[raw pubkey].each { |k| node[k] = Base64.decode64(node[k]) if node[k].is_a?(String) }
      nxt = node["issuerCertificate"]
      if nxt == "[Circular]"
        node["issuerCertificate"] = node
        break
      end
      node = nxt
    end
    obj
  end

  # Node's tls.TLSSocket.
  #
  # TLSSocket.new(is_server: false, secure_context: ctx, **options) is the
  # sans-IO pump for hosts that own their IO: #feed ciphertext from the
  # peer, #pull ciphertext for it, #write / #end / #destroy as in Node;
  # events fire from inside those calls. Tlsplug.connect and Server make
  # sockets on the loop.
  #
  # Options: reject_unauthorized: (default true), request_cert:,
  # servername:, alpn_protocols: (Array of names, or wire-form String),
  # session: (String), check_server_identity: (a Proc (hostname, cert) ->
  # nil or an error), min_dh_size:, allow_half_open:, high_water_mark:,
  # request_ocsp:; without secure_context:, the create_secure_context
  # options make one.
  #
  # Events (Node's names and listener arguments): 'secureConnect', 'secure',
  # 'data' (binary String), 'end', 'close' (had_error), 'error'
  # (Tlsplug::Error), 'session' (String), 'keylog' (String), 'drain',
  # 'OCSPResponse' (String), 'readable'; on a loop also 'connect', 'lookup'
  # (err, address, family, host), 'timeout'.
  #
  # Reading, as a Node stream: with a 'data' listener (and not #pause'd) the
  # socket flows. Without one, cleartext is buffered as in a paused Node
  # stream: #read takes it ('readable' says when some arrived), and once
  # #readable_high_water_mark (16 KiB) is buffered the C socket is paused,
  # so a loop stops reading the TCP socket and the peer is held back by
  # TCP; reading below the mark, or adding a 'data' listener, resumes it.
  # 'end' comes after the buffered data was consumed.
  #
  # Threads: a socket on a loop (Tlsplug.connect, or accepted by a Server)
  # is used only from the loop's thread; a call from another thread raises
  # WrongThreadError (a ThreadError, code ERR_TLSPLUG_WRONG_THREAD). A
  # pump-mode socket may move between threads: its calls are serialised by
  # a Monitor (one thread at a time, as the C ABI requires; events fire on
  # the calling thread with the monitor held).
  #
  # Ownership: a socket made here (or by Tlsplug.connect) is the host's: #close
  # (or garbage collection) frees its handle. A socket a Server accepted
  # belongs to the C loop, which frees it right after its 'close' event: its
  # wrapper never frees it and drops its handle after 'close' (the values of
  # the queries stay readable).
  #
  # The plain getters (authorized, get_protocol, alpn_protocol,
  # session_reused?, ...) are generated from the registry
  # (ABI::SocketGetters); the ones with behaviour (get_cipher,
  # get_peer_certificate(detailed), the addresses) are written here.
  class TLSSocket
    include EventEmitter
    include ABI::SocketGetters

    # The events every socket has C report: the binding's own state hangs on
    # them (secure, the flow of data, end, close, errors).
    EVENTS = [ABI::EV_SECURE_CONNECT, ABI::EV_SECURE, ABI::EV_DATA, ABI::EV_END, ABI::EV_CLOSE,
              ABI::EV_ERROR].freeze
    # The events that only emit Node's listener: C is asked for one with its
    # first listener (each tlsplug_socket_on is a Fiddle call and an entry
    # in the socket's callback table, so a socket without listeners for them
    # pays for neither; an event nobody listens to is dropped either way).
    # The rest are asked for by the option or call that needs them:
    # check_server_identity:, lookup:, a context's psk_callback:,
    # #enable_trace, #renegotiate.
    LISTENED_EVENTS = { "session" => ABI::EV_SESSION, "keylog" => ABI::EV_KEYLOG,
                        "OCSPResponse" => ABI::EV_OCSP_RESPONSE, "drain" => ABI::EV_DRAIN }.freeze
    LOOP_LISTENED_EVENTS = { "timeout" => ABI::EV_TIMEOUT, "lookup" => ABI::EV_LOOKUP }.freeze
    # The largest 'data' chunk on a loop (tlsplug_socket_set_data_batch).
    DATA_BATCH = 64 * 1024
    FAMILIES = { 4 => "IPv4", 6 => "IPv6" }.freeze
    # Node's readableHighWaterMark for a socket: with nobody consuming, this
    # much cleartext is buffered before the socket stops reading the peer.
    READABLE_HIGH_WATER_MARK = 16 * 1024
    SOCKET_OPTIONS = %i[reject_unauthorized request_cert servername alpn_protocols session
                        check_server_identity min_dh_size allow_half_open high_water_mark
                        request_ocsp lookup].freeze

    attr_reader :is_server, :had_error
    attr_accessor :readable_high_water_mark
    attr_accessor :server, :connecting

    def self.finalizer(cell)
      # cell: [handle or nil, owned by the loop, the loop it is on]. A
      # finalizer runs on any thread: a handle on another thread's loop is
      # freed by that thread, before the loop's next turn.
      proc do
        h, owned, loop = cell
        if h && !owned
          if loop&.handle && !Thread.current.equal?(loop.thread)
            loop.defer_free(:socket_free, h)
          else
            ABI.lib.socket_free(h)
          end
        end
      end
    end

    def initialize(is_server: false, secure_context: nil, _handle: nil, _accepted: false, **options)
      # Thread rule (class doc): on a loop, @owner is the loop's thread and
      # @lock nil; in pump mode, @owner is nil and every C call holds @lock
      # (reentrant: listeners call back into the socket).
      @owner = nil
      @lock = Monitor.new
      @is_server = is_server ? true : false
      # Node throws at the call for these; nil is undefined (not given).
      Check.callable("options.checkServerIdentity", options[:check_server_identity]) unless options[:check_server_identity].nil?
      Check.callable("options.lookup", options[:lookup]) unless options[:lookup].nil?
      Check.string("options.servername", options[:servername]) unless options[:servername].nil?
      ctx_opts = options.slice(*CONTEXT_OPTIONS)
      options = options.reject { |k, _| CONTEXT_OPTIONS.include?(k) }
      unknown = options.keys - SOCKET_OPTIONS
      raise ArgumentError, "unknown TLSSocket options: #{unknown.join(', ')}" unless unknown.empty?
      if secure_context && !ctx_opts.empty?
        raise ArgumentError, "context options given with secure_context: #{ctx_opts.keys.join(', ')}"
      end
      @check_identity = options[:check_server_identity]
      if _handle
        @handle = _handle
        @started = true
      else
        own = secure_context.nil? && _handle.nil? ? Tlsplug.create_secure_context(**ctx_opts) : nil
        ctx = own || secure_context
        @psk_callback = ctx.psk_callback
        begin
          buf = Util.out
          role = @is_server ? ABI::ROLE_SERVER : ABI::ROLE_CLIENT
          Util.check(ABI.lib.socket_new(ctx.handle, role, buf), ctx.handle, "TLSSocket")
          @handle = Util.out_handle(buf)
        ensure
          own&.close # the socket holds its own reference
        end
        @started = false
      end
      @owned_by_loop = _accepted ? true : false
      @cell = [@handle, @owned_by_loop]
      ObjectSpace.define_finalizer(self, self.class.finalizer(@cell))
      @key = Dispatch.register(self)
      @loop = nil
      @final = {}
      # Cleartext nobody consumed yet (no 'data' listener, or paused), in
      # order, and its size; @c_paused: whether C was told to pause (the
      # host's #pause, or @held reached the high-water mark).
      @held = []
      @held_bytes = 0
      @c_paused = false
      @readable_high_water_mark = READABLE_HIGH_WATER_MARK
      @end_held = false
      @unhandled = nil
      @error_in_call = false
      @in_call = 0
      @destroy_error = nil
      @destroyed = @closed = @secure = @had_error = false
      @paused = false
      @host = nil
      @c_events = 0 # a bit per event C was asked to report
      EVENTS.each { |ev| report(ev) }
      report(ABI::EV_CHECK_SERVER_IDENTITY) if @check_identity
      report(ABI::EV_PSK) if @psk_callback
      o = options
      # nil is Node's undefined: the default (true), never "off".
      call(:socket_set_reject_unauthorized, o[:reject_unauthorized] ? 1 : 0) unless o[:reject_unauthorized].nil?
      call(:socket_set_request_cert, 1) if o[:request_cert]
      call(:socket_set_servername, Util.cname(o[:servername], "servername")) if o[:servername]
      if o[:alpn_protocols]
        w = Tlsplug.alpn_wire(o[:alpn_protocols])
        call(:socket_set_alpn_protocols, w, w.bytesize)
      end
      if o[:session]
        s = Util.bytes(o[:session])
        call(:socket_set_session, s, s.bytesize)
      end
      call(:socket_set_min_dh_size, o[:min_dh_size].to_i) if o[:min_dh_size]
      call(:socket_set_allow_half_open, o[:allow_half_open] ? 1 : 0) unless o[:allow_half_open].nil?
      call(:socket_set_check_server_identity, 1) if @check_identity
      call(:socket_set_high_water_mark, o[:high_water_mark].to_i) if o[:high_water_mark]
      call(:socket_set_request_ocsp, 1) if o[:request_ocsp]
      @lookup = o[:lookup]
      if @lookup
        call(:socket_set_lookup, 1)
        call(:socket_on, ABI::EV_LOOKUP_REQUEST, Dispatch::SOCKET_CB_PTR, @key)
      end
    end

    def destroyed?
      @destroyed
    end

    def closed?
      @closed
    end

    def secure?
      @secure
    end

    # The C handle; every C call on the socket gets it here, so this is where
    # the loop's thread is checked (one comparison).
    def handle
      raise WrongThreadError, "this TLSSocket" if @owner && !Thread.current.equal?(@owner)
      @handle or raise Error.new("TLSSocket is closed (its handle was freed)", "ERR_TLSPLUG_CLOSED",
                                 ABI::E_BADHANDLE)
    end

    # ---- plumbing (internal)

    def event_loop
      @loop
    end

    def attach(loop) # :nodoc:
      loop.check_thread!("this loop")
      @loop = loop
      @owner = loop.thread # from now on, the loop's thread only
      @lock = nil
      @cell[2] = loop
      @started = true # the loop starts the handshake
      report(ABI::EV_CONNECT) unless @owned_by_loop # an accepted socket is connected
      LOOP_LISTENED_EVENTS.each { |name, ev| report(ev) if listener_count(name).positive? }
      # The records of one transport read in one 'data' callback: a Fiddle
      # callback costs more than decrypting a record.
      call(:socket_set_data_batch, DATA_BATCH)
      loop.hold(self)
    end

    def host=(h) # :nodoc:
      @host = h
    end

    def call(fn, *args, what: "")
      h = handle
      hp = handle_ptr(h)
      lock = @lock
      rc = lock ? lock.synchronize { ABI.lib.public_send(fn, hp, *args) } : ABI.lib.public_send(fn, hp, *args)
      Util.check(rc, h, what)
    end

    # The handle +h+ as a Fiddle::Pointer, made once: Fiddle turns any other
    # pointer argument into a new Pointer (and an Array to keep it) on every
    # call, which is most of a short call's cost.
    def handle_ptr(h)
      return @hptr if @hptr_of == h

      @hptr_of = h
      @hptr = Fiddle::Pointer.new(h)
    end
    private :call

    # Run the block under the thread rule's lock (pump mode only).
    def locked
      lock = @lock
      lock ? lock.synchronize { yield } : yield # yielded: no Proc made per call
    end
    private :locked

    def q_bytes(fn, *args, size: 256)
      hp = handle_ptr(handle)
      locked { Util.get_bytes(fn, hp, *args, handle: hp, size: size) }
    end
    private :q_bytes

    def q_str(fn, *args, size: 256)
      q_bytes(fn, *args, size: size)&.force_encoding(Encoding::UTF_8)&.scrub
    end
    private :q_str

    # Free the handle (no close_notify; #end first for a clean close). Safe
    # twice and from a listener. An accepted socket is destroyed, never
    # freed here: the loop frees it.
    def close
      raise WrongThreadError, "this TLSSocket" if @handle && @owner && !Thread.current.equal?(@owner)
      locked do
        h = @handle
        @handle = nil
        @cell[0] = nil
        @loop&.release(self)
        if h
          if @owned_by_loop
            ABI.lib.socket_destroy(h, nil, nil)
          else
            ABI.lib.socket_free(h) # a double free answers E_BADHANDLE: harmless
          end
          @closed = @destroyed = true
        end
      end
      nil
    end
    alias free close

    def ensure_started
      return if @started
      @started = true
      pump(:socket_start)
    end
    private :ensure_started

    # Start the handshake now (otherwise the first pump call does).
    def start
      ensure_started
      self
    end

    # A pump call: events fire inside; an 'error' nobody listens to, or a
    # failure not reported as an 'error' event, raises Tlsplug::Error.
    def pump(fn, *args, what: "")
      pump_call(what) { |hp| ABI.lib.public_send(fn, hp, *args) }
    end
    private :pump

    # A pump call the block makes with the handle's pointer, under the lock
    # in pump mode (yielded, never made a Proc: writes come this way).
    def pump_call(what)
      lock = @lock
      return pump_now(what) { |hp| yield hp } unless lock

      lock.synchronize { pump_now(what) { |hp| yield hp } }
    end
    private :pump_call

    # The pump call the block makes with the handle's pointer.
    def pump_now(what)
      h = handle
      hp = handle_ptr(h)
      @error_in_call = false
      @in_call += 1
      begin
        rc = yield hp
      ensure
        @in_call -= 1
      end
      Tlsplug.raise_pending!
      err = @unhandled
      @unhandled = nil
      raise err if err
      raise Util.error_from(@handle ? h : nil, rc, what) if rc.negative? && rc != ABI::E_AGAIN && rc != ABI::E_BUFSIZE && !@error_in_call
      rc
    end
    private :pump_now

    def listener_added(event)
      if event == "data" && (!@held.empty? || @end_held || @c_paused)
        # A 'data' listener starts the flow (unless paused), as in Node.
        if @owner && !Thread.current.equal?(@owner)
          listeners_table["data"].pop
          raise WrongThreadError, "this TLSSocket"
        end
        flow
      end
      ev = LISTENED_EVENTS[event] || (@loop && LOOP_LISTENED_EVENTS[event])
      return unless ev && @handle && (@c_events & (1 << ev)).zero?

      if @owner && !Thread.current.equal?(@owner)
        # C is the loop thread's: it is asked there, before the loop's next
        # turn or event, as a listener added from another thread always was.
        @loop.defer { listener_added(event) if @handle }
        return
      end
      report(ev)
      # Any time, as Node: a listener added right after connect() works.
      call(:socket_set_keylog, 1) if event == "keylog"
    end
    private :listener_added

    # Have C report +ev+ to this socket (once).
    def report(ev)
      bit = 1 << ev
      return unless (@c_events & bit).zero?

      call(:socket_on, ev, Dispatch::SOCKET_CB_PTR, @key)
      @c_events |= bit
    end
    private :report

    # ---- reading: Node's paused/flowing stream over the C socket's pause

    # Hand what was buffered to the 'data' listeners (when flowing), then
    # 'end' if it waited for that, then pause or resume C to match.
    def flow
      while !@held.empty? && !@paused && listener_count("data").positive?
        chunk = @held.shift
        @held_bytes -= chunk.bytesize
        emit("data", chunk)
      end
      end_if_consumed
      sync_c_pause
    end
    private :flow

    def end_if_consumed
      return unless @end_held && @held.empty?
      @end_held = false
      emit("end")
    end
    private :end_if_consumed

    # C stays paused while the host paused, or while nobody consumes and
    # the buffer reached the high-water mark (the loop then stops reading
    # the fd: TCP holds the peer back).
    def sync_c_pause
      return if @handle.nil? || @closed
      want = @paused || (@held_bytes >= @readable_high_water_mark && listener_count("data").zero?)
      return if want == @c_paused
      @c_paused = want
      if want
        call(:socket_pause)
      else
        pump(:socket_resume, what: "resume")
      end
    end
    private :sync_c_pause

    # Node's readableLength: cleartext buffered, not yet consumed.
    def readable_length
      @held_bytes
    end

    # Node's readable.read([size]): the buffered cleartext (all of it, or
    # exactly +size+ bytes; less only once the peer ended), or nil when there
    # is not that much. Reading below the high-water mark resumes a socket
    # that stopped reading; 'end' follows the read that took the last byte
    # (from the loop, as Node's nextTick; at once in pump mode).
    def read(size = nil)
      raise WrongThreadError, "this TLSSocket" if @owner && !Thread.current.equal?(@owner)
      return nil if @held.empty?
      if size.nil? || size >= @held_bytes
        return nil if size && size > @held_bytes && !@end_held
        data = @held.join.b
        @held.clear
      else
        data = "".b
        need = size.to_i
        while need.positive?
          chunk = @held.shift
          if chunk.bytesize > need
            @held.unshift(chunk.byteslice(need..))
            chunk = chunk.byteslice(0, need)
          end
          data << chunk
          need -= chunk.bytesize
        end
      end
      @held_bytes -= data.bytesize
      if @end_held && @held.empty?
        if @loop&.handle
          @loop.set_timeout(0) { end_if_consumed }
        else
          end_if_consumed
        end
      end
      sync_c_pause
      data
    end

    # One event from C. What the registry says of it (ABI::EVENTS: Node's
    # listener, the payload's layout) is generated; only the behaviour beyond
    # emitting the listener with the decoded payload is written here, in
    # EVENT_HANDLERS (Python's TLSSocket._on_event reads the same description).
    def ev_psk(_listener, hint)
      PSK.answer_client(@handle, @psk_callback, hint)
    end
    private :ev_psk

    def on_c_event(event, _subject, payload)
      info = ABI::EVENTS[event]
      return if info.nil? # an event from a newer library

      listener, kind, = info
      args = Runtime.decode_payload(kind, payload)
      handler = EVENT_HANDLERS[event]
      if handler
        send(handler, listener, *args)
      elsif listener
        emit(listener, *args)
      end
    end
    private :on_c_event

    # The events whose handling is more than emitting Node's listener with
    # the decoded payload (drain, timeout, session, keylog are just that). Each handler gets the listener's name and the arguments.
    EVENT_HANDLERS = {
      ABI::EV_DATA => :ev_data,
      ABI::EV_PSK => :ev_psk,
      ABI::EV_TRACE => :ev_trace,
      ABI::EV_SECURE_CONNECT => :ev_secure,
      ABI::EV_SECURE => :ev_secure,
      ABI::EV_END => :ev_end,
      ABI::EV_CLOSE => :ev_close,
      ABI::EV_CONNECT => :ev_connect,
      ABI::EV_LOOKUP => :ev_lookup,
      ABI::EV_LOOKUP_REQUEST => :ev_lookup_request,
      ABI::EV_RENEGOTIATED => :ev_renegotiated,
      ABI::EV_CHECK_SERVER_IDENTITY => :ev_check_server_identity,
      ABI::EV_ERROR => :ev_error,
      ABI::EV_OCSP_RESPONSE => :ev_ocsp_response
    }.freeze
    private_constant :EVENT_HANDLERS

    def ev_data(listener, data)
      if @held.empty? && !@paused && listener_count(listener).positive?
        emit(listener, data)
      else
        was_empty = @held.empty?
        @held << data
        @held_bytes += data.bytesize
        # Stop reading: the peer waits in TCP.
        sync_c_pause if @held_bytes >= @readable_high_water_mark && !@c_paused
        emit("readable") if was_empty
      end
    end

    def ev_secure(listener)
      @secure = true
      emit(listener)
    end

    def ev_end(listener)
      if @held.empty?
        emit(listener)
      else
        @end_held = true
      end
    end

    def ev_close(listener, had_error)
      @closed = @destroyed = true
      @had_error = had_error
      loop = @loop
      keep_final if @owned_by_loop
      begin
        emit(listener, @had_error)
      ensure
        loop&.release(self)
        @server&.forget(self)
        if @owned_by_loop
          # The loop frees an accepted socket once this returns.
          @handle = nil
          @cell[0] = nil
        end
      end
    end

    def ev_connect(listener)
      @connecting = false
      emit(listener)
    end

    def ev_lookup(listener, address)
      emit(listener, nil, address, address.include?(":") ? 6 : 4, @host)
    end

    def ev_lookup_request(_listener, hostname)
      answer_lookup(hostname)
    end

    # Nothing stapled: Node's null.
    def ev_ocsp_response(listener, response)
      emit(listener, response.empty? ? nil : response)
    end

    def ev_renegotiated(_listener)
      cb = @renegotiate_cb
      @renegotiate_cb = nil
      cb&.call(nil)
    end

    def ev_check_server_identity(_listener, hostname)
      answer_identity(hostname)
    end

    def ev_error(_listener, code)
      on_error(code)
    end
    private :ev_data, :ev_secure, :ev_end, :ev_close, :ev_connect, :ev_lookup,
            :ev_lookup_request, :ev_renegotiated, :ev_check_server_identity, :ev_error,
            :ev_ocsp_response

    def on_error(code)
      @error_in_call = true
      err = @destroy_error
      # Node calls renegotiate's callback only on success or at once with a
      # refusal; a later failure is the socket's 'error' alone.
      @renegotiate_cb = nil
      @destroy_error = nil
      if err.nil?
        st = Util.out(4)
        ABI.lib.error_detail(@handle, st, nil, nil, nil)
        status = Util.out_int(st)
        err = Util.error_from(@handle, status.zero? ? ABI::E_TLS : status)
        err.code = code unless code.empty?
      end
      if listener_count("error").positive?
        emit("error", err)
      elsif @owned_by_loop && !@secure
        nil # the server's 'tlsClientError' reports it, as in Node
      elsif @loop && @in_call.zero?
        raise err # from the loop: reported as an unhandled 'error'
      else
        @unhandled ||= err
      end
    end
    private :on_error

    # Node's lookup option: the Proc gets (hostname, options, callback);
    # callback.call(err, address, family) answers once, from the Proc or
    # later (address a numeric IP, or Node's `all` form, an Array of
    # {"address" =>, "family" =>} or of Strings). An err (or no address)
    # fails the connection with err's code (ENOTFOUND by default).
    def answer_lookup(hostname)
      done = false
      callback = proc do |err = nil, address = nil, _family = nil|
        next if done || @handle.nil?
        done = true
        if address.is_a?(Array)
          first = address.first
          address = first.is_a?(Hash) ? (first["address"] || first[:address]) : first
        end
        code = nil
        if err || address.nil? || address.to_s.empty?
          code = (err.respond_to?(:code) && err.code) || "ENOTFOUND"
          address = nil
        end
        @in_call += 1
        begin
          call(:socket_lookup_done, Util.cstr(address), Util.cstr(code))
        ensure
          @in_call -= 1
        end
      end
      begin
        @lookup.call(hostname, {}, callback)
      rescue StandardError => e
        callback.call(e)
        raise
      end
    end
    private :answer_lookup

    def answer_identity(hostname)
      code = message = nil
      begin
        result = @check_identity.call(hostname, get_peer_certificate)
      rescue StandardError => e
        result = e
      end
      if result
        code = (result.respond_to?(:code) && result.code) || "ERR_TLS_CERT_ALTNAME_INVALID"
        message = result.respond_to?(:message) ? result.message : result.to_s
      end
      call(:socket_check_server_identity_done, Util.cstr(code), Util.cstr(message)) if @handle
    end
    private :answer_identity

    FINAL_VALUES = %i[bytes_read bytes_written authorized authorization_error alpn_protocol servername
                      get_protocol get_cipher get_session session_reused?].freeze

    def keep_final
      FINAL_VALUES.each do |name|
        @final[name] = public_send(name)
      rescue Error
        nil
      end
      # The addresses: one C call per side for what the getters read apart.
      { remote: ABI::ADDRESS_REMOTE, local: ABI::ADDRESS_LOCAL }.each do |side, which|
        a = raw_address(which)
        @final[:"#{side}_address"] = a&.first
        @final[:"#{side}_port"] = port_of(a)
        @final[:remote_family] = family_of(a) if side == :remote
      rescue Error
        nil
      end
    end
    private :keep_final

    def final_or(name)
      return @final[name] if @handle.nil? && @final.key?(name)
      yield
    end
    private :final_or

    # A generated getter's call (ABI::SocketGetters): what keep_final kept
    # for +name+ once an accepted socket's handle is gone, else the block
    # with the handle under the thread rule.
    def getter_call(name)
      final_or(name) do
        hp = handle_ptr(handle)
        locked { yield hp }
      end
    end
    private :getter_call

    # ---- the pump

    # Ciphertext received from the peer (any size, any split).
    def feed(data)
      ensure_started
      b = Util.bytes(data)
      pump(:socket_feed, b, b.bytesize, what: "feed")
      nil
    end

    # The transport ended.
    def feed_eof
      ensure_started
      pump(:socket_feed_eof, what: "feed_eof")
      nil
    end

    # All pending ciphertext for the peer ("" when none): one write_pull per
    # 64 KiB (E_BUFSIZE: more waits).
    def pull(max_bytes = 1 << 20)
      ensure_started
      out = "".b
      size = [max_bytes, 65_536].min
      buf = Util.out(size)
      n = Util.out
      st = Util.out(4)
      while out.bytesize < max_bytes
        rc = pump(:socket_write_pull, nil, 0, buf, size, n, st, what: "pull")
        len = Util.out_size(n)
        out << buf.byteslice(0, len) if len.positive?
        break unless rc == ABI::E_BUFSIZE
      end
      out
    end

    def pending_output
      n = Util.out
      call(:socket_pending_output, n)
      Util.out_size(n)
    end

    # The TLSPLUG_STATE_* bits.
    def state
      out = @loop&.out_ptr # a loop's socket is its thread's alone: the loop's buffer
      if out
        h = handle
        Util.check(ABI.lib.socket_state(handle_ptr(h), out), h)
        return out.to_str(4).unpack1("L")
      end

      f = Util.out(4)
      call(:socket_state, f)
      Util.out_uint(f)
    end

    # Write cleartext (buffered until the handshake completes). Answers
    # false, as Node, once the buffer reached the high-water mark: 'drain'
    # follows when it is empty (writes are still taken).
    def write(data)
      ensure_started
      # C reads the bytes whatever the String's encoding: no binary copy.
      b = data.is_a?(String) ? data : data.to_s
      pump_call("write") { |hp| ABI.lib.socket_write(hp, b, b.bytesize) } # no splat Arrays
      return true unless @handle
      (state & ABI::STATE_NEED_DRAIN).zero?
    end

    # Write +data+ if given, then close_notify.
    def end(data = nil)
      write(data) unless data.nil?
      ensure_started
      pump(:socket_end, what: "end")
      self
    end

    # Close at once without close_notify; with +error+, 'error' fires with
    # it first, then 'close'. The handle stays valid for queries.
    def destroy(error = nil)
      code = message = nil
      if error
        @destroy_error = error
        code = Util.cstr((error.respond_to?(:code) && error.code) || "ERR_TLSPLUG_DESTROYED")
        message = Util.cstr(error.message)
      end
      pump(:socket_destroy, code, message, what: "destroy")
      @destroy_error = nil
      @destroyed = true
      self
    end

    # ---- streams

    # Node's pause(): no 'data' until #resume; nothing is lost.
    def pause
      handle # the thread rule, and a closed socket raises
      @paused = true
      sync_c_pause
      self
    end

    # Node's resume(): what waited is delivered (to the 'data' listeners;
    # without one it stays buffered for #read).
    def resume
      handle
      @paused = false
      flow
      self
    end

    def paused?
      @paused
    end

    # Node's setTimeout(ms, cb): 'timeout' after +ms+ idle (0: off). On a loop only.
    def set_timeout(ms, &blk)
      call(:socket_set_timeout, [ms.to_i, 0].max, what: "setTimeout")
      once("timeout", &blk) if blk && ms.to_i.positive?
      self
    end

    def set_no_delay(no_delay = true)
      call(:socket_set_no_delay, no_delay ? 1 : 0, what: "setNoDelay")
      self
    end

    def set_keep_alive(enable = false, initial_delay = 0)
      call(:socket_set_keep_alive, enable ? 1 : 0, [initial_delay.to_i, 0].max, what: "setKeepAlive")
      self
    end

    def high_water_mark=(n)
      call(:socket_set_high_water_mark, n.to_i)
    end

    def raw_address(side)
      h = handle_ptr(handle)
      port = Util.out(4)
      fam = Util.out(4)
      n = Util.out
      buf = Util.out(256)
      rc = locked { ABI.lib.socket_address(h, side, buf, 256, n, port, fam) }
      return nil if rc == ABI::E_UNAVAILABLE
      Util.check(rc, h, "address")
      [buf.byteslice(0, Util.out_size(n)).force_encoding(Encoding::UTF_8), Util.out_int(port), Util.out_int(fam)]
    end
    private :raw_address

    # Node's address(): {port:, family:, address:} of this end (the String
    # keys read the same; {} when
    # not connected; the path for a Unix socket).
    def address
      a = raw_address(ABI::ADDRESS_LOCAL)
      return {} if a.nil?
      return a[0] if a[2].zero?
      Util.address_hash(a[1], FAMILIES.fetch(a[2], a[2].to_s), a[0])
    end

    def remote_address
      final_or(:remote_address) { raw_address(ABI::ADDRESS_REMOTE)&.first }
    end

    def remote_port
      final_or(:remote_port) { port_of(raw_address(ABI::ADDRESS_REMOTE)) }
    end

    def remote_family
      final_or(:remote_family) { family_of(raw_address(ABI::ADDRESS_REMOTE)) }
    end

    def local_address
      final_or(:local_address) { raw_address(ABI::ADDRESS_LOCAL)&.first }
    end

    def local_port
      final_or(:local_port) { port_of(raw_address(ABI::ADDRESS_LOCAL)) }
    end

    # A raw_address's port (nil for a Unix socket) and family name.
    def port_of(addr)
      addr && !addr[2].zero? ? addr[1] : nil
    end

    def family_of(addr)
      addr && FAMILIES[addr[2]]
    end
    private :port_of, :family_of

    # ---- metadata (the plain getters are generated: ABI::SocketGetters)

    # Node's getSharedSigalgs(), also by its Ruby name.
    alias shared_sigalgs get_shared_sigalgs

    # {"name", "standardName", "version"} as Node's; nil before the handshake.
    def get_cipher
      final_or(:get_cipher) do
        out = {}
        { "name" => ABI::CIPHER_NAME, "standardName" => ABI::CIPHER_STANDARD_NAME,
          "version" => ABI::CIPHER_VERSION }.each do |k, field|
          v = q_str(:socket_get_cipher, field)
          return nil if v.nil?
          out[k] = v
        end
        out
      end
    end

    # Node's certificate object as a Hash (string keys as Node's; raw and
    # pubkey binary Strings); with +detailed+, issuerCertificate along the
    # chain. {} when the peer sent none; nil before the handshake.
    def get_peer_certificate(detailed = false)
      Tlsplug.cert_from_json(q_str(:socket_get_peer_certificate, detailed ? 1 : 0, size: 8192))
    end

    # Node's getX509Certificate(): the local certificate, or nil.
    def get_x509_certificate
      c = get_certificate
      c && c["raw"] ? X509Certificate.new(c["raw"]) : nil
    end

    # Node's getPeerX509Certificate(): the peer's certificate, its
    # issuer_certificate linked along the chain the peer presented.
    def get_peer_x509_certificate
      chain = []
      64.times do |depth|
        der = q_bytes(:socket_peer_cert_field, depth, ABI::CERT_RAW, size: 4096)
        break if der.nil?

        chain << X509Certificate.new(der)
      end
      chain.each_cons(2) { |c, i| c.issuer_certificate = i if c != i && c.check_issued(i) }
      chain.first
    end

    # false outside 512..16384, as Node.
    def set_max_send_fragment(size)
      size = Check.int("size", size, -2**31, 2**31 - 1, "argument")
      h = handle
      return false unless size.between?(512, 16_384)

      rc = locked { ABI.lib.socket_set_max_send_fragment(h, size) }
      return false if rc == ABI::E_INVAL
      Util.check(rc, @handle)
      true
    end

    def disable_renegotiation
      call(:socket_disable_renegotiation)
    end

    # Node's exportKeyingMaterial(length, label, context): +length+ bytes
    # (a binary String) of the RFC 5705 / RFC 8446 exporter, equal on both
    # ends. +context+ nil is Node's undefined (no context), which TLS 1.2
    # tells from "". Argument errors as Node's: InvalidArgTypeError (a
    # TypeError), OutOfRangeError (an ArgumentError); before the handshake,
    # Tlsplug::Error ERR_TLS_INVALID_STATE.
    # Node's tlsSocket.enableTrace(): one line per handshake message sent or
    # received ("Sent ClientHello, Length=512"), written to +io+ ($stderr) or
    # given to the block. tlsplug's own trace: Node prints OpenSSL's.
    def enable_trace(io = $stderr, &block)
      @trace_writer = block || ->(line) { io.puts(line) }
      report(ABI::EV_TRACE)
      call(:socket_enable_trace)
    end

    def ev_trace(_listener, line)
      @trace_writer&.call(line)
    end
    private :ev_trace

    def export_keying_material(length, label, context = nil)
      length = Check.int("length", length, 1, 2**32 - 1, "argument")
      unless label.is_a?(String)
        raise InvalidArgTypeError, %(The "label" argument must be of type string. Received #{Check.received(label)})
      end
      unless context.nil? || context.is_a?(String)
        raise InvalidArgTypeError, %(The "context" argument must be a binary String. Received #{Check.received(context)})
      end
      lab = label.b
      ctx = context&.b
      buf = Util.out(length)
      n = Util.out
      call(:socket_export_keying_material, lab, lab.bytesize, ctx, ctx ? ctx.bytesize : 0,
           buf, length, n, what: "exportKeyingMaterial")
      buf.byteslice(0, Util.out_size(n))
    end

    # Node's renegotiate(options, callback): a new handshake on a TLS 1.2
    # connection (on TLS 1.3 a server with request_cert: asks for the client's
    # certificate by post-handshake authentication). The block gets nil when
    # it completed, or the error. Answers false (the block, from the loop,
    # gets the error) when the library refuses it at once, as Node.
    def renegotiate(request_cert: false, reject_unauthorized: true, &cb)
      ru = reject_unauthorized
      h = handle
      @renegotiate_cb = cb
      report(ABI::EV_RENEGOTIATED)
      rc = locked { ABI.lib.socket_renegotiate(h, request_cert ? 1 : 0, ru ? 1 : 0) }
      return true unless rc.negative?
      @renegotiate_cb = nil
      err = Util.error_from(h, rc, "renegotiate")
      if cb
        (@loop || Tlsplug.default_loop).set_timeout(0) { cb.call(err) }
      end
      false
    end

    def inspect
      "#<Tlsplug::TLSSocket #{@is_server ? 'server' : 'client'}#{@handle ? '' : ' freed'}#{@secure ? ' secure' : ''}>"
    end
  end
end
