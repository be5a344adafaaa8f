# frozen_string_literal: true

require_relative "test_helper"

# The pump mode: two TLSSockets shuttled in memory, no loop, no fd.
class PumpTest < Minitest::Test
  include TestHelper

  def pair(server_extra = {}, client_extra = {})
    sctx = Tlsplug.create_secure_context(**server_opts)
    server = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx, **server_extra)
    client = Tlsplug::TLSSocket.new(**client_opts, **client_extra)
    [client, server]
  end

  def test_handshake_and_echo
    client, server = pair
    events = []
    got = "".b
    server.on("secure") { events << :secure }
    server.on("data") { |d| server.write(d.upcase) }
    client.on("secureConnect") { events << :secure_connect; client.write("ping") }
    client.on("data") { |d| got << d }
    shuttle(client, server)
    assert_equal %i[secure secure_connect].sort, events.sort
    assert_equal "PING", got
    assert_equal Encoding::BINARY, got.encoding
    assert client.authorized
    assert_nil client.authorization_error
    assert_equal "TLSv1.3", client.get_protocol
    assert_equal "localhost", client.get_peer_certificate["subject"]["CN"]
    assert_operator client.bytes_written, :>, 4 # ciphertext, as Node's bytesWritten
    assert_operator client.state & Tlsplug::ABI::STATE_SECURE, :>, 0
  end

  def test_end_and_close
    client, server = pair
    closed = []
    server.on("end") { server.end }
    server.on("close") { |e| closed << [:server, e] }
    client.on("close") { |e| closed << [:client, e] }
    client.on("secureConnect") { client.end("bye") }
    shuttle(client, server)
    assert_includes closed, [:client, false]
    assert_includes closed, [:server, false]
  end

  def test_alpn_and_data_held_until_listener
    client, server = pair({ alpn_protocols: %w[h2 http/1.1] }, { alpn_protocols: ["http/1.1"] })
    client.on("secureConnect") { client.write("early") }
    shuttle(client, server)
    assert_equal "http/1.1", client.alpn_protocol
    assert_equal "http/1.1", server.alpn_protocol
    got = []
    server.on("data") { |d| got << d }
    assert_equal ["early"], got
  end

  def test_verification_failure_is_an_error_event
    sctx = Tlsplug.create_secure_context(**server_opts)
    server = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx)
    client = Tlsplug::TLSSocket.new(ca: [pem("other-ca.pem")], servername: "localhost")
    errors = []
    client.on("error") { |e| errors << e }
    server.on("error") { |_e| nil }
    shuttle(client, server)
    assert_equal 1, errors.size
    assert_kind_of Tlsplug::Error, errors[0]
    refute_nil errors[0].code
  end

  def test_unhandled_error_raises_from_the_pump_call
    sctx = Tlsplug.create_secure_context(**server_opts)
    server = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx)
    client = Tlsplug::TLSSocket.new(ca: [pem("other-ca.pem")], servername: "localhost")
    server.on("error") { |_e| nil }
    err = assert_raises(Tlsplug::Error) { shuttle(client, server) }
    refute_nil err.code
  end

  # One connection between pumps: resumes `session` when given, keeps the
  # first session the client is handed in session_box[0]; answers the
  # client's [session_reused?, authorized] (read before it is closed).
  def resume_once(cctx, sctx, session, session_box)
    server = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx)
    client = Tlsplug::TLSSocket.new(secure_context: cctx, servername: "localhost",
                                    **(session ? { session: session } : {}))
    client.on("session") { |s| session_box[0] ||= s }
    client.on("secureConnect") { client.write("x") }
    server.on("data") { |_d| server.write("y") }
    client.on("data") { |_d| nil }
    shuttle(client, server)
    [client.session_reused?, client.authorized]
  ensure
    client&.close
    server&.close
  end

  def test_session_resumption
    sctx = Tlsplug.create_secure_context(**server_opts)
    cctx = Tlsplug.create_secure_context(ca: [pem("ca.pem")])
    box = []
    2.times do |i|
      reused, = resume_once(cctx, sctx, box[0], box)
      refute_nil box[0]
      assert_equal i == 1, reused, "connection #{i}"
    end
  end

  # session_key (a tlsplug extension): contexts given one key resume each
  # other's sessions; another key, or none, gives a full handshake.
  def test_session_key_shared_between_contexts
    sctx = Tlsplug.create_secure_context(**server_opts)
    key = (0...32).map(&:chr).join
    box = []
    resume_once(Tlsplug.create_secure_context(ca: [pem("ca.pem")], session_key: key), sctx, nil, box)
    refute_nil box[0]
    [[key, true], ["\0" * 32, false], [nil, false]].each do |k, reused|
      cctx = Tlsplug.create_secure_context(ca: [pem("ca.pem")], **(k ? { session_key: k } : {}))
      got, authorized = resume_once(cctx, sctx, box[0], [])
      assert authorized
      assert_equal reused, got
    end
    err = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(session_key: "short") }
    assert_equal "ERR_INVALID_ARG_VALUE", err.code
  end
end
