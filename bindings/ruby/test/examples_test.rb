# frozen_string_literal: true

require_relative "test_helper"
require "rbconfig"

# Node's documented examples, in Ruby, on the thread's loop.
class ExamplesTest < Minitest::Test
  include TestHelper

  def teardown
    reap_children
  end

  # tls.createServer's echo server with a client on the same loop.
  def test_echo_server_and_client
    server = Tlsplug.create_server(server_opts) do |socket|
      socket.write("welcome!\n")
      socket.on("data") { |d| socket.write(d) }
      socket.on("end") { socket.end }
    end
    _, port = listen(server)
    received = "".b
    closed = nil
    client = Tlsplug.connect(port, "127.0.0.1", **client_opts) do
      client.write("hello, world\n")
    end
    client.on("data") do |d|
      received << d
      client.end if received == "welcome!\nhello, world\n"
    end
    client.on("close") { |had_error| closed = had_error }
    run_until("echo") { !closed.nil? }
    assert_equal "welcome!\nhello, world\n", received
    assert_equal false, closed
    assert client.authorized
    done = false
    server.close { done = true }
    run_until("server close") { done }
    refute server.listening?
  end

  # requestCert: the server asks for (and verifies) the client's certificate.
  def test_request_cert_with_client_certificate
    seen = []
    server = Tlsplug.create_server(**server_opts, request_cert: true, ca: [pem("ca.pem")]) do |socket|
      cert = socket.get_peer_certificate
      seen << [socket.authorized, cert["subject"]["CN"]]
      socket.end("ok")
    end
    _, port = listen(server)
    got = "".b
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, key: pem("client.key"), cert: pem("client-chain.pem"))
    c.on("data") { |d| got << d }
    c.on("close") { closed = true }
    run_until("client closed") { closed }
    assert_equal "ok", got
    assert_equal 1, seen.size
    assert_equal true, seen[0][0]
    refute_nil seen[0][1]

    # Without a certificate the server (rejectUnauthorized) refuses it.
    errors = []
    server.on("tlsClientError") { |err, _sock| errors << err }
    closed = false
    c2 = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    c2.on("error") { |_e| nil }
    c2.on("close") { closed = true }
    run_until("refused client closed") { closed && !errors.empty? }
    assert_kind_of Tlsplug::Error, errors[0]
    refute_nil errors[0].code
    server.close
    Tlsplug.run(timeout: 5)
  end

  # The example scripts themselves (examples/ruby).
  def test_example_scripts
    dir = File.expand_path("../../../examples/ruby", __dir__)
    r, w = IO.pipe
    pid = Process.spawn(RbConfig.ruby, File.join(dir, "echo_server.rb"), "0", out: w, in: :close)
    w.close
    @children = [pid]
    line = read_line(r)
    assert_match(/server bound (\d+)/, line)
    port = line[/\d+/]
    out = IO.popen([RbConfig.ruby, File.join(dir, "echo_client.rb"), port, "hello"], &:read)
    assert $?.success?, out
    assert_match(/client connected authorized/, out)
    assert_match(/welcome!\nhello/, out)
    assert_match(/server connected authorized/, read_line(r))
  end
end
