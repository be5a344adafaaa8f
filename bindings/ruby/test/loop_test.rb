# frozen_string_literal: true

require_relative "test_helper"
require "socket"
require "tmpdir"

# The loop: timers, connect (port, path:, socket:), server queries,
# back-pressure, pause/resume, socket timeouts, network errors.
class LoopTest < Minitest::Test
  include TestHelper

  def echo_server(**extra)
    server = Tlsplug.create_server(**server_opts, **extra) do |s|
      s.on("data") { |d| s.write(d) }
      s.on("end") { s.end }
    end
    server
  end

  def finish(server)
    server.close
    Tlsplug.run(timeout: 5)
  end

  def exchange(**connect_args)
    got = "".b
    closed = false
    events = []
    c = Tlsplug.connect(**connect_args, **client_opts) { c.write("ping") }
    %w[connect lookup secureConnect].each { |ev| c.on(ev) { |*_a| events << ev } }
    c.on("data") do |d|
      got << d
      c.end
    end
    c.on("close") { closed = true }
    run_until("exchange") { closed }
    [c, got, events]
  end

  def test_timers
    order = []
    Tlsplug.set_timeout(30) { order << :late }
    Tlsplug.set_timeout(1) { order << :early }
    cancelled = Tlsplug.set_timeout(5) { order << :cancelled }
    Tlsplug.clear_timeout(cancelled)
    Tlsplug.clear_timeout(nil)
    n = 0
    iv = Tlsplug.set_interval(2) { n += 1 }
    run_until("timers") { order.size == 2 && n >= 3 }
    Tlsplug.clear_timeout(iv)
    assert_equal %i[early late], order
    refute Tlsplug.run(timeout: 1) # nothing left
  end

  def test_close_a_loop_drops_its_timers
    l = Tlsplug::Loop.new
    fired = false
    t = l.set_timeout(5) { fired = true }
    assert t.active?
    l.close
    assert_nil l.handle
    refute t.active?
    l.close # twice: nothing to do
    refute fired
  end

  def test_one_loop_per_thread
    mine = Tlsplug.default_loop
    other = Thread.new { Tlsplug.default_loop }.value
    refute_same mine, other
    assert_same mine, Tlsplug.default_loop
  end

  def test_connect_port_and_server_queries
    server = echo_server
    server.max_connections = 10
    _, port = listen(server)
    assert_equal({ port: port, family: "IPv4", address: "127.0.0.1" }, server.address)
    count = nil
    server.on("secureConnection") { |_s| count = server.connections }
    c, got, events = exchange(port: port, host: "127.0.0.1")
    assert_equal "ping", got
    assert_equal %w[connect secureConnect], events # no lookup for an IP, as Node
    assert_equal 1, count
    assert_equal 10, server.max_connections
    assert_operator c.bytes_read, :>, 0
    finish(server)
  end

  def test_connect_path_and_socket_adoption
    Dir.mktmpdir do |dir|
      path = File.join(dir, "s.sock")
      server = echo_server
      server.listen(path: path)
      run_until("listening") { server.listening? }
      assert_equal path, server.address
      _, got, = exchange(path: path)
      assert_equal "ping", got
      finish(server)
    end
    server = echo_server
    _, port = listen(server)
    tcp = Socket.tcp("127.0.0.1", port)
    c, got, = exchange(socket: tcp)
    assert_equal "ping", got
    assert c.authorized
    tcp.close # ours: the loop had its own copy of the fd
    finish(server)
  end

  def test_backpressure_and_drain
    server = echo_server
    received = 0
    server.on("secureConnection") do |s|
      s.on("data") { |d| received += d.bytesize }
      s.on("error") { |_e| nil } # ECONNRESET once the client destroys
    end
    _, port = listen(server)
    total = 4 * 1024 * 1024
    sent = 0
    falses = 0
    drains = 0
    chunk = "x" * 65_536
    c = nil
    pump = lambda do
      while sent < total
        sent += chunk.bytesize
        unless c.write(chunk)
          falses += 1
          break
        end
      end
    end
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, high_water_mark: 16_384) { pump.call }
    c.on("drain") { drains += 1; pump.call }
    c.on("data") { |_d| nil }
    run_until("all received", timeout: 30) { received >= total }
    assert_operator falses, :>, 0
    assert_operator drains, :>, 0
    c.destroy
    finish(server)
  end

  def test_pause_resume_and_timeout
    server = echo_server
    _, port = listen(server)
    got = []
    timed_out = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) do
      c.pause
      c.write("held")
      Tlsplug.set_timeout(50) do
        assert_empty got
        c.resume
      end
    end
    c.on("data") { |d| got << d }
    run_until("resumed data") { got == ["held"] }
    assert_same c, c.set_timeout(30) { timed_out = true }
    run_until("idle timeout") { timed_out }
    refute c.destroyed? # only a notice, as in Node
    c.set_no_delay(true).set_keep_alive(true, 1000)
    assert_equal "127.0.0.1", c.remote_address
    assert_equal port, c.remote_port
    assert_equal "IPv4", c.remote_family
    assert_equal "127.0.0.1", c.local_address
    assert_kind_of Integer, c.local_port
    c.destroy
    finish(server)
  end

  def test_network_errors
    tcp = TCPServer.new("127.0.0.1", 0)
    port = tcp.addr[1]
    tcp.close
    err = nil
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    c.on("error") { |e| err = e }
    run_until("refused") { err }
    assert_equal "ECONNREFUSED", err.code
    busy = TCPServer.new("127.0.0.1", 0)
    server = echo_server
    e = assert_raises(Tlsplug::Error) { server.listen(busy.addr[1], "127.0.0.1") }
    assert_equal "EADDRINUSE", e.code
    busy.close
    server.free
  end
end
