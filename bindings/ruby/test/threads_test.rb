# frozen_string_literal: true

require_relative "test_helper"

# The thread rule: libtlsplug's sockets, servers and loops are used by one
# thread at a time and libuv is not thread-safe (Fiddle releases the GVL
# during C calls, so two Ruby threads really do run in C at once). A loop,
# and what is on it, belongs to the thread that made the loop: a call from
# another thread raises Tlsplug::WrongThreadError (a ThreadError,
# ERR_TLSPLUG_WRONG_THREAD) and nothing reaches C. A pump-mode socket may
# move between threads; its calls are serialised by a Monitor.
class ThreadsTest < Minitest::Test
  include TestHelper

  TIMEOUT = 10

  # A one-shot event with a bounded wait (Queue#pop(timeout:) is Ruby 3.2+).
  class Latch
    def initialize
      @m = Mutex.new
      @cv = ConditionVariable.new
      @set = false
    end

    def set
      @m.synchronize do
        @set = true
        @cv.broadcast
      end
    end

    def wait(timeout)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      @m.synchronize do
        until @set
          left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
          return false if left <= 0
          @cv.wait(@m, left)
        end
        true
      end
    end
  end

  # Thread A: a server and a client on A's own loop, the client writing
  # 1 KiB every millisecond and the server echoing, so A is inside libuv
  # while the test thread calls in. After +stop+, A checks that the
  # connection still works and closes everything.
  def start_loop_thread
    st = { ready: Latch.new, busy: Latch.new, stop: false, sent: 0, got: 0, closed: nil }
    thread = owner_thread(st, st[:ready], st[:busy]) do
      st[:loop] = Tlsplug.default_loop
      accepted = []
      server = Tlsplug.create_server(**server_opts) do |s|
        accepted << s
        s.on("data") { |d| s.write(d) }
        s.on("end") { s.end }
      end
      server.listen(0, "127.0.0.1")
      Tlsplug.run(timeout: TIMEOUT) { server.address }
      client = Tlsplug.connect(server.address["port"], "127.0.0.1", **client_opts)
      client.on("data") { |d| st[:got] += d.bytesize }
      client.on("close") { |had_error| st[:closed] = had_error }
      Tlsplug.run(timeout: TIMEOUT) { client.secure? && !accepted.empty? }
      raise "no handshake on the loop thread" unless client.secure?
      st.merge!(client: client, server: server, accepted: accepted.first)
      busy = false
      ticker = Tlsplug.set_interval(1) do
        client.write("x" * 1024)
        st[:sent] += 1024
        if !busy && st[:got] >= 16 * 1024
          busy = true
          st[:busy].set
        end
      end
      st[:ready].set
      poll = Tlsplug.set_interval(2) {} # the stop flag is set by another thread
      Tlsplug.run(timeout: TIMEOUT) { st[:stop] }
      Tlsplug.clear_timeout(ticker)
      Tlsplug.clear_timeout(poll)
      # The owner thread still drives the connection: every byte echoed.
      Tlsplug.run(timeout: TIMEOUT) { st[:got] == st[:sent] }
      wind_down(client, server) { !st[:closed].nil? }
    end
    [thread, st]
  end

  # A thread running the block (on its own loop); what it raises is kept in
  # st[:error] for the test thread, and +latches+ are set when it ends.
  def owner_thread(st, *latches)
    thread = Thread.new do
      yield
    rescue Exception => e # rubocop:disable Lint/RescueException -- reported by the test thread
      st[:error] = e
      raise
    ensure
      latches.each(&:set)
    end
    thread.report_on_exception = false
    thread
  end

  # On the loop's thread: end the client, wait until the block holds, close the server.
  def wind_down(client, server, &closed)
    client.end
    Tlsplug.run(timeout: TIMEOUT, &closed)
    server.close
    Tlsplug.run(timeout: TIMEOUT)
    :done
  end

  def test_calls_from_another_thread_raise_and_the_loop_goes_on
    thread, st = start_loop_thread
    begin
      assert st[:ready].wait(TIMEOUT), "loop thread not ready"
      raise st[:error] if st[:error]
      assert st[:busy].wait(TIMEOUT), "no echo on the loop thread"
      client = st[:client]
      server = st[:server]
      loop = st[:loop]
      accepted = st[:accepted]
      calls = {
        "write" => -> { client.write("from the wrong thread") },
        "end" => -> { client.end },
        "destroy" => -> { client.destroy },
        "pause" => -> { client.pause },
        "resume" => -> { client.resume },
        "read" => -> { client.read },
        "set_no_delay" => -> { client.set_no_delay },
        "set_timeout" => -> { client.set_timeout(1000) },
        "high_water_mark=" => -> { client.high_water_mark = 1 << 20 },
        "bytes_written" => -> { client.bytes_written },
        "get_cipher" => -> { client.get_cipher },
        "get_peer_certificate" => -> { client.get_peer_certificate },
        "close" => -> { client.close },
        "accepted.write" => -> { accepted.write("x") },
        "server.close" => -> { server.close },
        "server.connections" => -> { server.connections },
        "server.free" => -> { server.free },
        "loop.run" => -> { loop.run(timeout: 0.01) },
        "loop.run_once" => -> { loop.run_once },
        "loop.stop" => -> { loop.stop },
        "loop.set_timeout" => -> { loop.set_timeout(10) {} },
        "loop.close" => -> { loop.close },
        "connect on its loop" => -> { Tlsplug.connect(1, "127.0.0.1", **client_opts, loop: loop) }
      }
      calls.each do |name, call|
        err = assert_raises(ThreadError, name) { call.call }
        assert_kind_of Tlsplug::WrongThreadError, err, name
        assert_equal "ERR_TLSPLUG_WRONG_THREAD", err.code, name
        assert_includes err.message, "thread", name
      end
      # Refused before anything happened: the socket is still open, and
      # this thread's own loop is separate and idle.
      refute client.closed?
      refute_same loop, Tlsplug.default_loop
      refute Tlsplug.default_loop.alive?
    ensure
      st[:stop] = true
      joined = thread.join(TIMEOUT + 5)
    end
    assert joined, "loop thread hung"
    raise st[:error] if st[:error]
    assert_operator st[:sent], :>, 0
    assert_equal st[:sent], st[:got], "the owner's echo lost bytes"
    assert_equal false, st[:closed]
  end

  # A listener added from another thread still hears its event (the
  # binding asks C for an event with its first listener; from another
  # thread that waits for the loop's own thread, before its next turn).
  def test_listener_added_from_another_thread_hears_its_event
    made = Latch.new
    added = Latch.new
    sessions = []
    st = {}
    thread = owner_thread(st, made) do
      server = Tlsplug.create_server(**server_opts) { |s| s.on("data") { |_d| s.write("k") } }
      server.listen(0, "127.0.0.1")
      Tlsplug.run(timeout: TIMEOUT) { server.address }
      client = Tlsplug.connect(server.address["port"], "127.0.0.1", **client_opts) { client.write("p") }
      client.on("data") { |_d| st[:answered] = true }
      client.on("close") { |_e| st[:closed] = true }
      st[:client] = client
      made.set
      raise "no listener added" unless added.wait(TIMEOUT)
      Tlsplug.run(timeout: TIMEOUT) { st[:answered] && !sessions.empty? }
      wind_down(client, server) { st[:closed] }
    end
    assert made.wait(TIMEOUT), "loop thread not ready"
    raise st[:error] if st[:error]
    st[:client].on("session") { |blob| sessions << blob }
    added.set
    assert_equal :done, thread.join(TIMEOUT + 5)&.value
    assert st[:answered], "no answer"
    refute_empty sessions, "the 'session' listener added from this thread heard nothing"
    assert(sessions.all? { |b| b.is_a?(String) && !b.empty? })
  end

  def pump_pair
    s = Tlsplug::TLSSocket.new(is_server: true, key: pem("server.key"), cert: pem("server-chain.pem"))
    c = Tlsplug::TLSSocket.new(ca: [pem("ca.pem")], servername: "localhost")
    [c, s]
  end

  def shuttle(a, b)
    50.times do
      moved = false
      [[a, b], [b, a]].each do |src, dst|
        out = src.pull
        next if out.empty?
        dst.feed(out)
        moved = true
      end
      return unless moved
    end
    flunk "the pair never went quiet"
  end

  def test_pump_socket_may_move_between_threads
    c, s = pump_pair
    got = +""
    s.on("data") { |d| got << d }
    Thread.new do
      shuttle(c, s)
      c.write("from thread B")
      shuttle(c, s)
    end.join(TIMEOUT).value
    c.write(" and back in A") # no owner thread in pump mode
    shuttle(c, s)
    assert_equal "from thread B and back in A", got
    c.close
    s.close
  end

  # While thread A is inside feed (in its 'data' listener), thread B's write
  # waits for A's call to return instead of running in C at the same time.
  def test_pump_calls_from_two_threads_are_serialised
    c, s = pump_pair
    shuttle(c, s)
    assert s.secure?
    in_listener = Latch.new
    b_done = Latch.new
    overlap = []
    s.on("data") do |_d|
      in_listener.set
      overlap << b_done.wait(0.3)
    end
    b = Thread.new do
      in_listener.wait(TIMEOUT)
      s.write("B's write")
    ensure
      b_done.set
    end
    c.write("hello")
    s.feed(c.pull) # the listener runs here, on this thread
    assert_equal [false], overlap, "B's write ran inside A's feed"
    assert b.join(TIMEOUT)
    got = +""
    c.on("data") { |d| got << d }
    shuttle(c, s)
    assert_equal "B's write", got
    c.close
    s.close
  end
end
