# frozen_string_literal: true

require_relative "test_helper"
require "json"
require "open3"

# Issue 14: options and arguments as Node handles them. nil is Node's
# undefined (the option's default, never "off"); a wrong type or range
# raises at the call with Node's code, which every test takes from live node.
class NodeArgsTest < Minitest::Test
  include TestHelper

  def setup
    need_node
  end

  # Run +js+ in node (bounded): it throws synchronously or calls done(code).
  def node_code(js)
    script = "const tls=require('tls'),fs=require('fs'),P=process.argv[1];" \
             "function done(c){console.log(JSON.stringify(String(c)));process.exit(0)}" \
             "setTimeout(()=>done('TIMEOUT'),8000);" \
             "try{#{js}}catch(e){done(e.code)}"
    out = Timeout.timeout(20) { Open3.capture2(NODE, "-e", script, PKI, stdin_data: "")[0] }
    JSON.parse(out.lines.last)
  end

  def check(js, klass = nil)
    expected = node_code(js)
    assert expected.start_with?("ERR_"), "node gave #{expected.inspect} for #{js}"
    klass ||= %w[ERR_OUT_OF_RANGE ERR_SOCKET_BAD_PORT].include?(expected) ? ArgumentError : TypeError
    e = assert_raises(klass) { yield }
    assert_equal expected, e.code
  end

  def untrusted_client_code(**opts)
    server = Tlsplug.create_server(key: pem("untrusted.key"), cert: pem("untrusted-chain.pem")) { |s| s.end("x") }
    server.on("tlsClientError") { |*_a| nil }
    server, port = listen(server)
    got = {}
    c = Tlsplug.connect(port, "127.0.0.1", ca: [pem("ca.pem")], servername: "localhost", **opts)
    c.on("error") { |e| got[:code] ||= e.code }
    c.on("secureConnect") { got[:code] ||= "SECURE" }
    c.on("close") { |*_a| got[:closed] = true }
    run_until("client close") { got[:closed] }
    closed = false
    server.close { closed = true }
    run_until("server close") { closed }
    got[:code]
  end

  def test_reject_unauthorized_nil_is_default_true
    expected = node_code(
      "const s=tls.createServer({key:fs.readFileSync(P+'/untrusted.key')," \
      "cert:fs.readFileSync(P+'/untrusted-chain.pem')},k=>k.end('x'));" \
      "s.on('tlsClientError',()=>{});" \
      "s.listen(0,'127.0.0.1',()=>{const c=tls.connect({port:s.address().port," \
      "host:'127.0.0.1',servername:'localhost',ca:[fs.readFileSync(P+'/ca.pem')]," \
      "rejectUnauthorized:undefined});" \
      "c.on('error',e=>done(e.code));c.on('secureConnect',()=>done('SECURE'))})"
    )
    refute_equal "SECURE", expected
    assert_equal expected, untrusted_client_code(reject_unauthorized: nil)
    assert_equal expected, untrusted_client_code
    assert_equal "SECURE", untrusted_client_code(reject_unauthorized: false) # the control
  end

  def test_server_reject_unauthorized_nil_is_default_true
    errors = []
    server = Tlsplug.create_server(server_opts.merge(request_cert: true, reject_unauthorized: nil,
                                                     ca: [pem("ca.pem")])) { |s| s.end("x") }
    server.on("tlsClientError") { |e, *_| errors << e.code }
    server, port = listen(server)
    got = +""
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    c.on("data") { |d| got << d }
    c.on("error") { |*_a| nil }
    c.on("close") { |*_a| closed = true }
    run_until("refused client") { closed && !errors.empty? }
    assert_equal "", got
    done = false
    server.close { done = true }
    run_until("server close") { done }
  end

  def test_context_option_types
    check("tls.createSecureContext({ciphers:9})") { Tlsplug.create_secure_context(ciphers: 9) }
    check("tls.createSecureContext({ecdhCurve:1})") { Tlsplug.create_secure_context(ecdh_curve: 1) }
    check("tls.createSecureContext({key:fs.readFileSync(P+'/server.key')," \
          "cert:fs.readFileSync(P+'/server-chain.pem'),passphrase:1})") do
      Tlsplug.create_secure_context(**server_opts, passphrase: 1)
    end
    check("tls.connect({port:1,ciphers:9})") { Tlsplug.connect(1, "127.0.0.1", ciphers: 9) }
    check("tls.createServer({ecdhCurve:1})") { Tlsplug.create_server(ecdh_curve: 1) }
  end

  def test_callables
    check("tls.createServer({SNICallback:1})") { Tlsplug.create_server(sni_callback: 1) }
    check("tls.connect({port:1,lookup:1})") { Tlsplug.connect(1, "127.0.0.1", lookup: 1) }
    # Node v20 asserts (ERR_INTERNAL_ASSERTION) for a non-function
    # checkServerIdentity; tlsplug gives the type error (docs/NODE_MAP.md).
    assert_equal "ERR_INTERNAL_ASSERTION", node_code("tls.connect({port:1,checkServerIdentity:1})")
    expected = node_code("tls.createServer({SNICallback:1})")
    e = assert_raises(TypeError) { Tlsplug.connect(1, "127.0.0.1", check_server_identity: 1) }
    assert_equal expected, e.code
    e = assert_raises(TypeError) { Tlsplug::TLSSocket.new(check_server_identity: "x") }
    assert_equal expected, e.code
  end

  def test_ticket_keys_secure_pair_alpn_and_versions
    check("tls.createServer({ticketKeys:1})") { Tlsplug.create_server(ticket_keys: 1) }
    # ERR_INVALID_ARG_VALUE: Node's TypeError, Ruby's ArgumentError for a bad value.
    check("tls.createServer({ticketKeys:Buffer.alloc(47)})", ArgumentError) do
      Tlsplug.create_server(ticket_keys: "\0".b * 47)
    end
    check("tls.createSecurePair({})") { Tlsplug.create_secure_pair({}) }
    check("tls.convertALPNProtocols(['a'.repeat(256)],{})", ArgumentError) { Tlsplug.alpn_wire(["a" * 256]) }
    check("tls.convertALPNProtocols([5],{})") { Tlsplug.alpn_wire([5]) }
    check("tls.createSecureContext({minVersion:'x'})") { Tlsplug.create_secure_context(min_version: "x") }
    check("tls.createSecureContext({minVersion:'TLSv1.2',secureProtocol:'TLSv1_2_method'})") do
      Tlsplug.create_secure_context(min_version: "TLSv1.2", secure_protocol: "TLSv1_2_method")
    end
  end

  def test_names_with_a_nul_byte_are_refused
    # C would compare only the part before the NUL; Node compares the whole
    # string, which then matches no certificate.
    assert_equal "ERR_TLS_CERT_ALTNAME_INVALID",
                 node_code("const e=tls.checkServerIdentity('localhost\\0.evil',{subject:{CN:'localhost'}});done(e.code)")
    cert = Tlsplug::X509Certificate.new(pem("server.pem"))
    [-> { Tlsplug.check_server_identity("localhost\0.evil", pem("server.pem")) },
     -> { Tlsplug::TLSSocket.new(servername: "localhost\0.evil") },
     -> { cert.check_host("localhost\0.evil") }].each do |call|
      e = assert_raises(ArgumentError) { call.call }
      assert_equal "ERR_INVALID_ARG_VALUE", e.code
    end
    assert_nil Tlsplug.check_server_identity("localhost", pem("server.pem"))
  end

  def test_server_timeouts
    check("tls.createServer({handshakeTimeout:'x'})") { Tlsplug.create_server(handshake_timeout: "x") }
    check("tls.createServer({handshakeTimeout:true})") { Tlsplug.create_server(handshake_timeout: true) }
    check("tls.createServer({sessionTimeout:'x'})") { Tlsplug.create_server(session_timeout: "x") }
    check("tls.createServer({sessionTimeout:2**31})") { Tlsplug.create_server(session_timeout: 2**31) }
    Tlsplug.create_server(handshake_timeout: nil, session_timeout: nil) # undefined: the defaults
  end

  def test_set_max_send_fragment
    sock = Tlsplug::TLSSocket.new(ca: [pem("ca.pem")])
    [["''", ""], ["true", true], ["null", nil], ["2**31", 2**31], ["1.5", 1.5],
     ["-(2**31)-1", -(2**31) - 1]].each do |js, v|
      check("new tls.TLSSocket(null).setMaxSendFragment(#{js})") { sock.set_max_send_fragment(v) }
    end
    assert_equal "false", node_code("done(new tls.TLSSocket(null).setMaxSendFragment(-1))")
    assert_equal false, sock.set_max_send_fragment(-1)
    assert_equal false, sock.set_max_send_fragment(100)
    assert_equal true, sock.set_max_send_fragment(1024)
  ensure
    sock&.close
  end

  def test_connect_swapped_arguments_raise
    # Node: tls.connect({port: 'localhost', host: 8000}) throws at the call.
    check("tls.connect({port:'localhost',host:8000})", ArgumentError) { Tlsplug.connect("localhost", 8000) }
    check("tls.connect({port:8000,host:8000})", TypeError) { Tlsplug.connect(8000, 8000) }
    refute Tlsplug.default_loop.alive? if Tlsplug.default_loop.respond_to?(:alive?)
  end

  def test_connect_block_gets_the_socket
    server, port = listen(Tlsplug.create_server(server_opts) { |s| s.end("x") })
    got = nil
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts) { |s| got = s }
    closed = false
    c.on("close") { |*_a| closed = true }
    run_until("secure connect") { got && closed }
    assert_same c, got
    # A block without parameters still works, and a zero-arity lambda.
    hits = []
    c2 = Tlsplug.connect(port, "127.0.0.1", **client_opts) { hits << :block }
    c3 = Tlsplug.connect(port, "127.0.0.1", **client_opts, &-> { hits << :lambda })
    n = 0
    [c2, c3].each { |x| x.on("close") { |*_a| n += 1 } }
    run_until("both closed") { n == 2 }
    assert_equal %i[block lambda], hits.sort
    done = false
    server.close { done = true }
    run_until("server close") { done }
  end

  # Node's tls.createServer(listener): a callable alone is the
  # 'secureConnection' listener (here a lambda, the server's context set
  # afterwards); options that are no Hash raise Node's code.
  def test_create_server_with_a_listener_alone
    got = []
    server = Tlsplug.create_server(->(s) { got << s; s.end("x") })
    server.set_secure_context(server_opts)
    server, port = listen(server)
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    closed = false
    c.on("close") { |*_a| closed = true }
    run_until("client close") { closed }
    assert_equal 1, got.size
    assert_kind_of Tlsplug::TLSSocket, got[0]
    done = false
    server.close { done = true }
    run_until("server close") { done }
    check("tls.createServer(42)") { Tlsplug.create_server(42) }
    check("tls.createServer('key')") { Tlsplug.create_server("key") }
  end

  # key/cert/ca: a String or an Array of them; a wrong type raises Node's
  # code at the call (never "42" passed on as PEM), and Node's falsy values
  # (0, false, "") are not given.
  def test_pem_option_types
    [["42", 42], ["{}", {}], ["[42]", [42]], ["[Symbol()]", [:pem]]].each do |jsv, v|
      check("tls.createSecureContext({key:#{jsv}})") { Tlsplug.create_secure_context(key: v) }
    end
    check("tls.createSecureContext({cert:42})") { Tlsplug.create_secure_context(cert: 42) }
    check("tls.createSecureContext({ca:[42]})") { Tlsplug.create_secure_context(ca: [42]) }
    check("tls.createServer({cert:42})") { Tlsplug.create_server(cert: 42) }
    check("tls.connect({port:1,ca:42})") { Tlsplug.connect(1, "127.0.0.1", ca: 42) }
    falsy = %w[key cert ca].product(%w[0 false '']).map { |o, v| "tls.createSecureContext({#{o}:#{v}});" }
    assert_equal "made", node_code("#{falsy.join}done('made')")
    %i[key cert ca].product([0, false, ""]).each do |opt, v|
      assert_kind_of Tlsplug::SecureContext, Tlsplug.create_secure_context(opt => v)
    end
  end

  # pfx of a type that is no buffer: Node cannot load it, and says so with
  # the code it gives undecodable bytes; so does the binding, for a Hash
  # too (it once read {} as an empty buffer and 42 as "42").
  def test_pfx_option_types
    [["42", 42], ["{}", {}], ["[42]", [42]], ["true", true]].each do |jsv, v|
      expected = node_code("tls.createSecureContext({pfx:#{jsv}});done('made')")
      e = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(pfx: v) }
      assert_equal expected, e.code, v.inspect
    end
  end

  # Node's test-tls-key-mismatch: createSecureContext throws for a key that
  # does not match the certificate; so do create_secure_context and
  # create_server, with Node's code.
  def test_key_mismatch_raises_at_create
    expected = node_code("tls.createSecureContext({key: fs.readFileSync(P + '/client.key'), " \
                         "cert: fs.readFileSync(P + '/server.pem')}); done('accepted')")
    refute_equal "accepted", expected, "node took a mismatched key"
    e = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(key: pem("client.key"), cert: pem("server.pem")) }
    assert_equal expected, e.code
    e = assert_raises(Tlsplug::Error) { Tlsplug.create_server(key: pem("client.key"), cert: pem("server.pem")) }
    assert_equal expected, e.code
  end
end
