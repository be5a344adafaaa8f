# frozen_string_literal: true

require_relative "test_helper"

# Misuse: freed and destroyed sockets, the garbage collector mid-traffic,
# listeners that raise.
class MisuseTest < Minitest::Test
  include TestHelper

  def setup
    @reported = []
    Tlsplug.listener_error_handler = ->(e, where) { @reported << [e, where] }
  end

  def teardown
    Tlsplug.listener_error_handler = Tlsplug::DEFAULT_LISTENER_ERROR_HANDLER
  end

  def echo_server
    server = Tlsplug.create_server(server_opts) do |s|
      s.on("data") { |d| s.write(d) }
      s.on("end") { s.end }
    end
    listen(server)
  end

  def test_destroyed_and_freed_socket_raises_error_with_code
    server, port = echo_server
    secured = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) { secured = true }
    closed = false
    c.on("close") { closed = true }
    run_until("secure") { secured }
    c.destroy
    run_until("close") { closed }
    assert c.destroyed?
    err = assert_raises(Tlsplug::Error) { c.write("late") }
    refute_nil err.code
    c.close
    err = assert_raises(Tlsplug::Error) { c.write("later") }
    assert_equal "ERR_TLSPLUG_CLOSED", err.code
    assert_raises(Tlsplug::Error) { c.get_cipher }
    c.close # twice: harmless
    # A stale handle answers E_BADHANDLE, never a crash.
    sock = Tlsplug::TLSSocket.new(**client_opts)
    h = sock.handle
    sock.close
    assert_equal Tlsplug::ABI::E_BADHANDLE, Tlsplug::ABI.lib.socket_free(h)
    assert_equal Tlsplug::ABI::E_BADHANDLE, Tlsplug::ABI.lib.socket_write(h, "x", 1)
    server.close
    Tlsplug.run(timeout: 5)
  end

  def test_accepted_socket_is_dropped_after_close
    accepted = nil
    server = Tlsplug.create_server(server_opts) do |s|
      accepted = s
      s.on("data") { |d| s.write(d) }
      s.on("end") { s.end }
    end
    _, port = listen(server)
    closed = 0
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) { c.end("bye") }
    c.on("data") { |_d| nil }
    c.on("close") { closed += 1 }
    accepted_closed = false
    server.on("connection") { |s| s.on("close") { accepted_closed = true } }
    run_until("both closed") { closed == 1 && accepted_closed }
    assert_nil accepted.instance_variable_get(:@handle)
    assert_nil accepted.get_protocol # closed: null, as Node
    assert accepted.authorized == false # kept from before the loop freed it
    assert_operator accepted.bytes_read, :>, 0
    err = assert_raises(Tlsplug::Error) { accepted.write("x") }
    assert_equal "ERR_TLSPLUG_CLOSED", err.code
    accepted.close # never frees what the loop owns: harmless
    assert_equal 0, server.connections
    server.close
    Tlsplug.run(timeout: 5)
  end

  def test_gc_during_traffic
    server, port = echo_server
    timer = Tlsplug.set_interval(5) { GC.start }
    received = 0
    total = 200 * 1024
    closed = false
    start_client = lambda do
      c = Tlsplug.connect(port, "127.0.0.1", **client_opts) do
        200.times { c.write("z" * 1024) }
      end
      c.on("data") do |d|
        received += d.bytesize
        GC.start
        # garbage that C has seen: freed by finalizers while the loop runs
        3.times { Tlsplug::TLSSocket.new(**client_opts).start }
        c.end if received == total
      end
      c.on("close") { closed = true }
      nil # no reference kept here: the loop keeps the connected socket alive
    end
    start_client.call
    GC.start
    run_until("echo of 200 KiB", timeout: 30) { closed }
    assert_equal total, received
    Tlsplug.clear_timeout(timer)
    server.close
    Tlsplug.run(timeout: 5)
    GC.start
  end

  def test_gc_stress_in_the_pump
    sctx = Tlsplug.create_secure_context(**server_opts)
    s = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx)
    c = Tlsplug::TLSSocket.new(**client_opts)
    got = []
    s.on("data") { |d| s.write(d) }
    c.on("secureConnect") { c.write("stress") }
    c.on("data") { |d| got << d }
    GC.stress = true
    begin
      20.times do
        x = c.pull
        s.feed(x) unless x.empty?
        y = s.pull
        c.feed(y) unless y.empty?
        break if x.empty? && y.empty? && !got.empty?
      end
    ensure
      GC.stress = false
    end
    assert_equal ["stress"], got
  end

  def test_listener_that_raises_is_reported_and_the_loop_goes_on
    server, port = echo_server
    got = "".b
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) { c.write("one") }
    c.on("data") do |d|
      got << d
      if got == "one"
        c.write("two")
        raise "boom in a listener" # reported; the loop goes on
      end
      c.end
    end
    c.on("close") { closed = true }
    run_until("echo despite raising listener") { closed }
    assert_equal "onetwo", got
    assert_equal 1, @reported.size
    assert_equal "boom in a listener", @reported[0][0].message
    assert_match(/TLSSocket listener/, @reported[0][1])
    fired = false
    Tlsplug.set_timeout(1) { raise ArgumentError, "timer boom" }
    Tlsplug.set_timeout(2) { fired = true }
    run_until("timer after a raising timer") { fired }
    assert_kind_of ArgumentError, @reported.last[0]
    server.close
    Tlsplug.run(timeout: 5)
  end

  def test_default_handler_warns
    Tlsplug.listener_error_handler = Tlsplug::DEFAULT_LISTENER_ERROR_HANDLER
    done = false
    assert_output(nil, /tlsplug: timer callback raised RuntimeError: loud/) do
      Tlsplug.set_timeout(0) { raise "loud" }
      Tlsplug.set_timeout(1) { done = true }
      Tlsplug.run(timeout: 5) { done }
    end
  end

  def test_exit_in_a_listener_is_raised_from_run
    Tlsplug.set_timeout(0) { exit 3 }
    assert_raises(SystemExit) { Tlsplug.run(timeout: 5) }
    fired = false
    Tlsplug.set_timeout(0) { fired = true }
    run_until("loop usable afterwards") { fired }
  end
end
