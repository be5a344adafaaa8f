# frozen_string_literal: true

require "fiddle"

module Tlsplug
  # How C reaches Ruby. Three Fiddle closures (sockets, servers, timers) are
  # made once and kept in constants for the life of the process, so C can
  # never call a closure that was garbage collected. Each finds its Ruby
  # object by the userdata key it was registered with: sockets and servers in
  # a weak map (an object that is gone is simply not found; the loop keeps
  # strong references to what is active on it), timers in a strong table (a
  # pending timer keeps its block, as in Node).
  #
  # Exceptions never unwind through C: the closures rescue everything. A
  # StandardError raised by a listener is reported through
  # Tlsplug.listener_error_handler (default: a warning with the backtrace)
  # and the loop (or pump call) goes on. Anything else (SystemExit from
  # exit, Interrupt, NoMemoryError) stops the loop and is raised again by
  # Tlsplug.run (or the pump call) once the C call returned.
  module Dispatch
    REGISTRY = ObjectSpace::WeakMap.new
    TIMERS = {}
    @key = 0
    @key_lock = Mutex.new

    def self.next_key
      @key_lock.synchronize { @key += 1 }
    end

    def self.register(obj)
      key = next_key
      REGISTRY[key] = obj
      key
    end

    # Fiddle::Pointer#[] answers a new binary String.
    def self.payload(data, len)
      len.positive? && !data.null? ? data[0, len] : "".b
    end

    def self.deliver(key, event, subject, data, len)
      obj = REGISTRY[key]
      return if obj.nil?
      begin
        obj.__send__(:on_c_event, event, subject.to_i, payload(data, len))
      rescue Exception => e # rubocop:disable Lint/RescueException -- must not unwind through C
        Tlsplug.report_exception(e, "#{obj.class.name} listener")
      ensure
        begin
          obj.__send__(:event_loop)&.after_event
        rescue Exception => e # rubocop:disable Lint/RescueException
          Tlsplug.report_exception(e, "loop")
        end
      end
    rescue Exception => e # rubocop:disable Lint/RescueException
      Tlsplug.report_exception(e, "dispatch")
    end

    def self.timer(key)
      t = TIMERS[key]
      return if t.nil?
      TIMERS.delete(key) unless t.repeat
      begin
        t.block.call
      rescue Exception => e # rubocop:disable Lint/RescueException
        Tlsplug.report_exception(e, "timer callback")
      ensure
        t.loop.after_event
      end
    rescue Exception => e # rubocop:disable Lint/RescueException
      Tlsplug.report_exception(e, "dispatch")
    end

    # ABI::EVENT_CB_ARGS with the source and subject handles taken as the
    # integers they are (same size and passing in the C ABI): Fiddle makes a
    # Pointer object for each pointer argument of every event otherwise.
    CB_ARGS = ABI::EVENT_CB_ARGS.each_with_index.map do |t, i|
      [1, 3].include?(i) && t == Fiddle::TYPE_VOIDP ? Fiddle::TYPE_UINTPTR_T : t
    end.freeze

    SOCKET_CB = Fiddle::Closure::BlockCaller.new(ABI::EVENT_CB_RETURN, CB_ARGS) do |key, _src, ev, subj, data, len|
      Dispatch.deliver(key, ev, subj, data, len)
    end
    SERVER_CB = Fiddle::Closure::BlockCaller.new(ABI::EVENT_CB_RETURN, CB_ARGS) do |key, _src, ev, subj, data, len|
      Dispatch.deliver(key, ev, subj, data, len)
    end
    TIMER_CB = Fiddle::Closure::BlockCaller.new(ABI::EVENT_CB_RETURN, CB_ARGS) do |key, _src, _ev, _subj, _data, _len|
      Dispatch.timer(key)
    end
    SOCKET_CB_ADDR = SOCKET_CB.to_i
    SERVER_CB_ADDR = SERVER_CB.to_i
    TIMER_CB_ADDR = TIMER_CB.to_i
    # The same as Fiddle::Pointers, as the C calls take them (no conversion per call).
    SOCKET_CB_PTR = Fiddle::Pointer.new(SOCKET_CB_ADDR)
    SERVER_CB_PTR = Fiddle::Pointer.new(SERVER_CB_ADDR)
    TIMER_CB_PTR = Fiddle::Pointer.new(TIMER_CB_ADDR)
  end

  DEFAULT_LISTENER_ERROR_HANDLER = lambda do |e, where|
    bt = (e.backtrace || []).first(8).map { |l| "\n    #{l}" }.join
    warn "tlsplug: #{where} raised #{e.class}: #{e.message}#{bt}"
  end

  class << self
    # Called with (exception, where) for a StandardError raised by a
    # listener or timer block; the default warns. The loop goes on.
    attr_accessor :listener_error_handler

    # Report an exception raised by a listener (see Dispatch).
    def report_exception(e, where)
      if e.is_a?(StandardError)
        begin
          (listener_error_handler || DEFAULT_LISTENER_ERROR_HANDLER).call(e, where)
        rescue Exception => e2 # rubocop:disable Lint/RescueException
          warn "tlsplug: the listener_error_handler raised #{e2.class}: #{e2.message}"
        end
      else
        Thread.current[:tlsplug_fatal] ||= e
        l = Thread.current[:tlsplug_loop]
        l&.stop_soon
      end
    end

    # Raise (once) what a listener raised that must not be swallowed.
    def raise_pending!
      e = Thread.current[:tlsplug_fatal]
      return if e.nil?
      Thread.current[:tlsplug_fatal] = nil
      raise e
    end
  end
  self.listener_error_handler = DEFAULT_LISTENER_ERROR_HANDLER

  # What Tlsplug.set_timeout answers (Node's Timeout): #cancel or
  # Tlsplug.clear_timeout stops it.
  class Timer
    attr_reader :loop, :key, :block, :repeat
    attr_accessor :id

    def initialize(loop, key, block, repeat)
      @loop = loop
      @key = key
      @block = block
      @repeat = repeat
      @id = 0
    end

    def active?
      Dispatch::TIMERS.key?(@key)
    end

    def cancel
      @loop.check_thread!("a timer")
      return unless Dispatch::TIMERS.delete(@key)
      ABI.lib.loop_clear_timer(@loop.handle, @id) if @loop.handle
    end
    alias close cancel
  end

  # A tlsplug_loop: tlsplug's libuv loop, driven in the calling thread. Use
  # Tlsplug.default_loop (one per thread, made on first use).
  #
  # Threads: libuv is not thread-safe, so a loop belongs to the thread that
  # made it, and so do the sockets and servers on it. A call on any of them
  # from another thread raises WrongThreadError (a ThreadError, code
  # ERR_TLSPLUG_WRONG_THREAD) before it reaches C. libtlsplug has no
  # thread-safe wakeup; a program that wants to hand work to the loop's
  # thread uses its own (a Queue polled from a set_interval timer).
  class Loop
    attr_reader :handle, :thread, :out_ptr

    def self.finalizer(cell)
      # Nothing refers to the loop any more, so nothing runs it: any thread may free it.
      proc do
        cell[1].each { |fn, h| ABI.lib.public_send(fn, h) }
        ABI.lib.loop_free(cell[0]) if cell[0]
      end
    end

    def initialize
      buf = Util.out
      Util.check(ABI.lib.loop_new(buf), nil, "loop")
      @handle = Util.out_handle(buf)
      # The owner: the one thread that may call into this loop and what is
      # on it. Handles whose Ruby object was collected on another thread
      # wait in @orphans for the owner (Array#<< is atomic under the GVL).
      @thread = Thread.current
      @orphans = []
      @deferred = []
      # An out parameter for calls made on this loop's thread (TLSSocket#state).
      @out_ptr = Fiddle::Pointer.malloc(8, Fiddle::RUBY_FREE)
      @cell = [@handle, @orphans]
      ObjectSpace.define_finalizer(self, self.class.finalizer(@cell))
      @active = {}
      @running = 0
      @until = nil
      @stopped = false
    end

    # Free the loop: servers stop, sockets are destroyed without events.
    def close
      h = @handle
      return unless h
      check_thread!("this loop")
      free_orphans
      Dispatch::TIMERS.delete_if { |_k, t| t.loop.equal?(self) }
      rc = ABI.lib.loop_free(h)
      raise Error.new("a loop cannot be closed from its own callback", "ERR_TLSPLUG_STATE", rc) if rc == ABI::E_STATE
      @handle = nil
      @cell[0] = nil
      @active.clear
      Thread.current[:tlsplug_loop] = nil if Thread.current[:tlsplug_loop].equal?(self)
    end

    def live_handle
      raise WrongThreadError, "this loop" unless Thread.current.equal?(@thread)
      @handle or raise Error.new("the loop is closed", "ERR_TLSPLUG_CLOSED", ABI::E_BADHANDLE)
    end

    def check_thread!(what = "this object") # :nodoc:
      raise WrongThreadError, what unless Thread.current.equal?(@thread)
    end

    # A socket or server of this loop whose finalizer ran on another thread:
    # the owner frees the handle before its next turn (:nodoc:).
    def defer_free(fn, handle)
      @orphans << [fn, handle]
    end

    def free_orphans # :nodoc:
      until @orphans.empty?
        fn, h = @orphans.pop
        ABI.lib.public_send(fn, h)
      end
    end

    # A block another thread left for the owner (what a socket's listener
    # added there asks of C): run on the owner before the loop's next turn
    # and after its next event (:nodoc:).
    def defer(&blk)
      @deferred << blk
    end

    def run_deferred # :nodoc:
      @deferred.shift.call until @deferred.empty?
    end

    # Strong references to what is active on the loop (as Node's loop).
    def hold(obj)
      @active[obj.object_id] = obj
    end

    def release(obj)
      @active.delete(obj.object_id)
    end

    def after_event
      run_deferred unless @deferred.empty?
      return unless @running.positive? && @until && !@stopped
      done = begin
        @until.call
      rescue StandardError
        true # run calls it again and raises
      end
      stop_soon if done
    end

    def stop_soon
      @stopped = true
      ABI.lib.loop_stop(@handle) if @handle
    end

    # Make the current run return soon (from the loop's thread).
    def stop
      check_thread!("this loop")
      stop_soon
    end

    # Run until nothing is left to do, the block answers true (checked
    # before the first turn and after every event), or +timeout+ seconds
    # passed. Answers whether anything is still left to do.
    def run(timeout: nil, &until_blk)
      h = live_handle
      deadline = timeout && (Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout)
      alive = Util.out(4)
      prev = @until
      @until = until_blk
      @running += 1
      checked = false # the block answered false right after the last turn
      begin
        loop do
          free_orphans unless @orphans.empty?
          run_deferred unless @deferred.empty?
          return alive? if !checked && until_blk&.call
          checked = false
          slice = 500
          if deadline
            left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
            return Util.out_int(alive) != 0 if left <= 0
            slice = [[(left * 1000).to_i + 1, 1].max, 500].min
          end
          @stopped = false
          rc = ABI.lib.loop_run_for(h, slice, alive)
          Tlsplug.raise_pending!
          Util.check(rc, h, "run")
          return false if Util.out_int(alive).zero?
          next unless @orphans.empty? && @deferred.empty? # done first, then asked at the top
          # Nothing ran since the turn: its answer is alive?'s (no call).
          return true if until_blk&.call
          checked = true
        end
      ensure
        @running -= 1
        @until = prev
        @stopped = false
      end
    end

    # Do what is ready now without blocking; answers alive.
    def run_once
      h = live_handle
      free_orphans unless @orphans.empty?
      run_deferred unless @deferred.empty?
      alive = Util.out(4)
      @running += 1
      begin
        rc = ABI.lib.loop_run_once(h, alive)
      ensure
        @running -= 1
      end
      Tlsplug.raise_pending!
      Util.check(rc, @handle, "run_once")
      Util.out_int(alive) != 0
    end

    def alive?
      buf = Util.out(4)
      Util.check(ABI.lib.loop_alive(live_handle, buf), @handle, "alive")
      Util.out_int(buf) != 0
    end

    # The fd an embedding host waits on (see docs/ABI.md, the loop).
    def backend_fd
      buf = Util.out(4)
      Util.check(ABI.lib.loop_backend_fd(live_handle, buf), @handle, "backend_fd")
      Util.out_int(buf)
    end

    # Milliseconds an embedding host may wait; 0 now, -1 only IO.
    def next_timeout
      buf = Util.out(4)
      Util.check(ABI.lib.loop_next_timeout(live_handle, buf), @handle, "next_timeout")
      Util.out_int(buf)
    end

    # Node's setTimeout (or setInterval with repeat: true) on this loop.
    def set_timeout(ms = 0, repeat: false, &blk)
      raise ArgumentError, "set_timeout needs a block" unless blk
      ms = [ms.to_i, 0].max
      key = Dispatch.next_key
      t = Timer.new(self, key, blk, repeat)
      Dispatch::TIMERS[key] = t
      out = Util.out
      rc = ABI.lib.loop_set_timer(live_handle, ms, repeat ? [ms, 1].max : 0, Dispatch::TIMER_CB_PTR, key, out)
      if rc.negative?
        Dispatch::TIMERS.delete(key)
        Util.check(rc, @handle, "set_timeout")
      end
      t.id = Util.out_size(out)
      t
    end

    def set_interval(ms = 0, &blk)
      set_timeout(ms, repeat: true, &blk)
    end
  end
end
