# frozen_string_literal: true

require_relative "test_helper"
require "openssl"

# Node's options beyond the basics: SNICallback, addContext, the lookup
# option, the server session store, checkServerIdentity, getCiphers, the
# module defaults, renegotiate, OCSP stapling.
class FeaturesTest < Minitest::Test
  include TestHelper

  def der(name)
    OpenSSL::X509::Certificate.new(pem(name)).to_der
  end

  def ec_opts
    { key: pem("server-ec.key"), cert: pem("server-ec-chain.pem") }
  end

  # Connect once; answers [peer raw DER or nil, error or nil, client].
  def connect_once(port, **opts)
    raw = err = nil
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", ca: [pem("ca.pem")], **opts) do
      raw = c.get_peer_certificate["raw"]
      @protocol = c.get_protocol # while open: null once closed, as Node
      c.end
    end
    c.on("error") { |e| err = e }
    c.on("close") { closed = true }
    run_until("client closed") { closed }
    [raw, err, c]
  end

  def finish(server)
    server.close
    Tlsplug.run(timeout: 5)
  end

  def test_sni_callback_picks_context_and_error_fails
    rsa = Tlsplug.create_secure_context(**server_opts)
    ec = Tlsplug.create_secure_context(**ec_opts)
    names = []
    sni = lambda do |name, cb|
      names << name
      case name
      when "localhost" then cb.call(nil, rsa)
      when "server.test" then cb.call(nil, ec)
      when "later.test" then Tlsplug.set_timeout(20) { cb.call(nil, nil) } # nil: the server's own context
      when "options.test" then cb.call(nil, ec_opts)
      else cb.call(Tlsplug::Error.new("no context for #{name}"))
      end
    end
    server = Tlsplug.create_server(**server_opts, sni_callback: sni) { |s| s.end }
    client_errors = []
    server.on("tlsClientError") { |e, _s| client_errors << e }
    _, port = listen(server)

    raw, err, = connect_once(port, servername: "localhost")
    assert_nil err
    assert_equal der("server.pem"), raw

    raw, err, = connect_once(port, servername: "server.test", reject_unauthorized: false)
    assert_nil err
    assert_equal der("server-ec.pem"), raw

    raw, err, = connect_once(port, servername: "options.test", reject_unauthorized: false)
    assert_nil err
    assert_equal der("server-ec.pem"), raw

    raw, err, = connect_once(port, servername: "later.test", reject_unauthorized: false)
    assert_nil err
    assert_equal der("server.pem"), raw

    raw, err, = connect_once(port, servername: "unknown.test", reject_unauthorized: false)
    assert_nil raw
    refute_nil err
    run_until("tlsClientError") { !client_errors.empty? }
    assert_equal %w[localhost server.test options.test later.test unknown.test], names
    finish(server)
  ensure
    rsa&.close
    ec&.close
  end

  # An answer that is not a context, or options that make none, fails that
  # handshake at once (Node: tlsClientError "Invalid SNI context"), never
  # stalls it.
  def test_sni_callback_bad_answers_fail_fast
    sni = lambda do |name, cb|
      Tlsplug.set_timeout(10) do
        cb.call(nil, name == "bad.test" ? Object.new : { key: "not a key", cert: pem("server.pem") })
      end
    end
    server = Tlsplug.create_server(**server_opts, sni_callback: sni) { |s| s.end }
    client_errors = []
    server.on("tlsClientError") { |e, _s| client_errors << e }
    _, port = listen(server)
    %w[bad.test broken.test].each do |name|
      raw, err, = connect_once(port, servername: name, reject_unauthorized: false)
      assert_nil raw
      refute_nil err
    end
    run_until("tlsClientError") { client_errors.size == 2 }
    assert_match(/\AInvalid SNI context/, client_errors[0].message)
    finish(server)
  end

  def test_add_context
    server = Tlsplug.create_server(**server_opts) { |s| s.end }
    assert_same server, server.add_context("server.test", ec_opts)
    ctx = Tlsplug.create_secure_context(**ec_opts)
    server.add_context("*.example.test", ctx)
    ctx.close
    _, port = listen(server)
    raw, err, = connect_once(port, servername: "server.test")
    assert_nil err
    assert_equal der("server-ec.pem"), raw
    raw, err, = connect_once(port, servername: "a.example.test", reject_unauthorized: false)
    assert_nil err
    assert_equal der("server-ec.pem"), raw
    raw, err, = connect_once(port, servername: "localhost")
    assert_nil err
    assert_equal der("server.pem"), raw
    finish(server)
  end

  def test_lookup_option
    server = Tlsplug.create_server(**server_opts) { |s| s.end }
    _, port = listen(server)
    asked = []
    lookup = lambda do |host, options, cb|
      asked << [host, options]
      Tlsplug.set_timeout(1) { cb.call(nil, "127.0.0.1", 4) }
    end
    events = []
    authorized = nil
    closed = false
    c = Tlsplug.connect(port, "server.test", ca: [pem("ca.pem")], lookup: lookup) do
      authorized = c.authorized
      c.end
    end
    c.on("lookup") { |*a| events << a }
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert_equal [["server.test", {}]], asked
    assert_equal [[nil, "127.0.0.1", 4, "server.test"]], events
    assert authorized
    assert_equal "server.test", c.servername

    err = nil
    closed = false
    c = Tlsplug.connect(port, "nowhere.test", ca: [pem("ca.pem")],
                                              lookup: ->(_h, _o, cb) { cb.call(Tlsplug::Error.new("no", "ENOTFOUND")) })
    c.on("error") { |e| err = e }
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert_equal "ENOTFOUND", err&.code
    finish(server)
  end

  def test_session_store_resumes_tls12
    store = {}
    server = Tlsplug.create_server(**server_opts, max_version: "TLSv1.2") { |s| s.end }
    server.on("newSession") do |id, data, cb|
      store[id] = data
      cb.call
    end
    looked_up = []
    server.on("resumeSession") do |id, cb|
      looked_up << id
      Tlsplug.set_timeout(1) { cb.call(nil, store[id]) }
    end
    _, port = listen(server)
    session = nil
    no_ticket = 0x4000 # SSL_OP_NO_TICKET: resumption by session id, through the store
    _, err, c = connect_once(port, **client_opts.except(:ca), secure_options: no_ticket)
    assert_nil err
    refute c.session_reused?
    session = c.get_session
    refute_nil session
    refute_empty store

    reused = nil
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, session: session, secure_options: no_ticket) do
      reused = c.session_reused?
      c.end
    end
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert reused, "second connection resumed"
    assert_equal 1, store.size
    # The first ClientHello may carry a (compatibility) session id the store
    # does not know, as with Node: the last lookup is the stored one.
    assert_equal store.keys.first, looked_up.last
    finish(server)
  end

  def test_client_session_event_tls13
    server = Tlsplug.create_server(**server_opts) do |s|
      s.write("x")
      s.end
    end
    _, port = listen(server)
    sessions = []
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    c.on("session") { |s| sessions << s }
    c.on("data") { |_d| nil }
    c.on("close") { closed = true }
    run_until("closed") { closed }
    refute_empty sessions
    closed = false
    reused = nil
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, session: sessions.last) { reused = c.session_reused? }
    c.on("data") { |_d| nil }
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert reused
    finish(server)
  end

  def test_check_server_identity_and_get_ciphers
    assert_nil Tlsplug.check_server_identity("server.test", pem("server.pem"))
    assert_nil Tlsplug.check_server_identity("127.0.0.1", der("server.pem"))
    err = Tlsplug.check_server_identity("evil.test", pem("server.pem"))
    assert_kind_of Tlsplug::Error, err
    assert_equal "ERR_TLS_CERT_ALTNAME_INVALID", err.code
    assert_equal "evil.test", err.host
    assert_match(/evil\.test/, err.reason)
    assert_raises(TypeError) { Tlsplug.check_server_identity("x", 42) }

    ciphers = Tlsplug.get_ciphers
    assert_includes ciphers, "tls_aes_128_gcm_sha256"
    assert_includes ciphers, "ecdhe-rsa-aes128-gcm-sha256"
    assert(ciphers.all? { |n| n == n.downcase })
  end

  def test_check_server_identity_on_peer_certificate
    server = Tlsplug.create_server(**server_opts) { |s| s.end }
    _, port = listen(server)
    cert = nil
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) do
      cert = c.get_peer_certificate
      c.end
    end
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert_nil Tlsplug.check_server_identity("localhost", cert)
    refute_nil Tlsplug.check_server_identity("other.test", cert)
    finish(server)
  end

  def test_module_defaults
    assert_equal "TLSv1.2", Tlsplug::DEFAULT_MIN_VERSION
    assert_equal "TLSv1.3", Tlsplug::DEFAULT_MAX_VERSION
    assert_equal "auto", Tlsplug::DEFAULT_ECDH_CURVE
    assert_kind_of String, Tlsplug::DEFAULT_CIPHERS
    refute_empty Tlsplug::DEFAULT_CIPHERS
    assert_equal 3, Tlsplug::CLIENT_RENEG_LIMIT
    assert_equal Tlsplug.get_default("CLIENT_RENEG_WINDOW"), Tlsplug::CLIENT_RENEG_WINDOW
    assert_kind_of Integer, Tlsplug::CLIENT_RENEG_WINDOW
    begin
      assert_equal 7, Tlsplug.set_default("CLIENT_RENEG_LIMIT", 7)
      assert_equal 7, Tlsplug::CLIENT_RENEG_LIMIT
      Tlsplug.set_default(:DEFAULT_MAX_VERSION, "TLSv1.2")
      assert_equal "TLSv1.2", Tlsplug::DEFAULT_MAX_VERSION
      server = Tlsplug.create_server(**server_opts) { |s| s.end }
      _, port = listen(server)
      _, err, c = connect_once(port, servername: "localhost")
      assert_nil err
      assert_equal "TLSv1.2", @protocol
      finish(server)
    ensure
      Tlsplug.set_default("CLIENT_RENEG_LIMIT", 3)
      Tlsplug.set_default("DEFAULT_MAX_VERSION", "TLSv1.3")
    end
    assert_raises(Tlsplug::Error) { Tlsplug.set_default("DEFAULT_MIN_VERSION", "bogus") }
    assert_equal "TLSv1.2", Tlsplug::DEFAULT_MIN_VERSION
    assert_raises(ArgumentError) { Tlsplug.get_default("NOPE") }
  end

  def test_renegotiate_asks_for_client_certificate_tls12
    server = Tlsplug.create_server(**server_opts, ca: [pem("ca.pem")], max_version: "TLSv1.2")
    result = nil
    before = after = ok = nil
    server.on("secureConnection") do |s|
      before = s.get_peer_certificate
      ok = s.renegotiate(request_cert: true, reject_unauthorized: true) do |err|
        result = err || :ok
        after = s.get_peer_certificate
        s.end
      end
    end
    _, port = listen(server)
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, key: pem("client.key"), cert: pem("client-chain.pem"))
    c.on("data") { |_d| nil }
    c.on("close") { closed = true }
    run_until("renegotiated and closed") { closed && result }
    assert_equal true, ok
    assert_equal :ok, result
    assert_empty before.to_h
    assert_equal der("client.pem"), after["raw"]
    finish(server)
  end

  def test_renegotiate_refused_on_tls13
    server = Tlsplug.create_server(**server_opts) { |s| s.end }
    _, port = listen(server)
    answer = err = nil
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) do
      answer = c.renegotiate { |e| err = e }
    end
    c.on("data") { |_d| nil }
    c.on("close") { closed = true }
    run_until("refused") { closed && err }
    assert_equal false, answer
    assert_kind_of Tlsplug::Error, err
    assert_equal Tlsplug::ABI::E_UNSUPPORTED, err.status
    finish(server)
  end

  def test_ocsp_request_and_response
    int = OpenSSL::X509::Certificate.new(pem("int.pem"))
    int_key = OpenSSL::PKey.read(pem("int.key"))
    leaf = OpenSSL::X509::Certificate.new(pem("server.pem"))
    bres = OpenSSL::OCSP::BasicResponse.new
    cid = OpenSSL::OCSP::CertificateId.new(leaf, int)
    now = Time.now
    bres.add_status(cid, OpenSSL::OCSP::V_CERTSTATUS_GOOD, 0, nil, now - 60, now + 3600, [])
    bres.sign(int, int_key, [], OpenSSL::OCSP::NOCERTS)
    response = OpenSSL::OCSP::Response.create(OpenSSL::OCSP::RESPONSE_STATUS_SUCCESSFUL, bres).to_der

    server = Tlsplug.create_server(**server_opts) { |s| s.end }
    asked = []
    server.on("OCSPRequest") do |cert, issuer, cb|
      asked << [cert, issuer]
      cb.call(nil, response)
    end
    _, port = listen(server)
    got = []
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, request_ocsp: true)
    c.on("OCSPResponse") { |r| got << r }
    c.on("data") { |_d| nil }
    c.on("close") { closed = true }
    run_until("closed") { closed }
    assert_equal 1, asked.size
    assert_equal leaf.to_der, asked[0][0]
    assert_equal int.to_der, asked[0][1]
    assert_equal [response], got
    finish(server)
  end
end
