# frozen_string_literal: true

require_relative "test_helper"
require "json"
require "openssl"
require "socket"

# Issue 15: tlsplug's errors are Ruby's own kinds (Errno::ECONNREFUSED,
# SocketError, OpenSSL::SSL::SSLError, ...), each a Tlsplug::Error keeping
# Node's code, which every test takes from live node.
class ErrorsTest < Minitest::Test
  include TestHelper

  # A tls server in node with +key+/+cert+ of the PKI (and extra options as
  # JSON), printing its port.
  NODE_SERVER = <<~JS
    const tls = require('tls'), fs = require('fs'), P = process.env.PKI;
    const o = Object.assign({ key: fs.readFileSync(P + '/' + process.env.KEY),
      cert: fs.readFileSync(P + '/' + process.env.CERT) }, JSON.parse(process.env.EXTRA || '{}'));
    const s = tls.createServer(o, (c) => { c.on('error', () => {}); c.end('hi'); });
    s.on('tlsClientError', () => {});
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  def setup
    need_node
  end

  def teardown
    reap_children
  end

  def node_client_code(port, servername: "localhost", extra: "")
    node_done("tls.connect({port:#{port},host:'127.0.0.1',servername:'#{servername}'," \
              "ca:[fs.readFileSync(P+'/ca.pem')]#{extra}}).on('error',e=>done(e.code))" \
              ".on('secureConnect',()=>done('SECURE'))")
  end

  def node_server(key, cert, extra = {})
    node_listening(NODE_SERVER, "KEY" => key, "CERT" => cert, "EXTRA" => JSON.generate(extra))
  end

  def closed_port
    s = TCPServer.new("127.0.0.1", 0)
    port = s.addr[1]
    s.close
    port
  end

  def test_the_tree
    assert_operator Tlsplug::SSLError, :<, Tlsplug::Error
    assert_operator Tlsplug::SSLError, :<, OpenSSL::SSL::SSLError
    assert_operator Tlsplug::CertificateVerificationError, :<, Tlsplug::SSLError
    assert_operator Tlsplug::IdentityError, :<, Tlsplug::CertificateVerificationError
    assert_operator Tlsplug::HostLookupError, :<, SocketError
    assert_operator Tlsplug::InvalidArgTypeError, :<, TypeError
    assert_operator Tlsplug::InvalidArgTypeError, :<, Tlsplug::Error
    assert_operator Tlsplug::OutOfRangeError, :<, ArgumentError
    assert_operator Tlsplug::WrongThreadError, :<, Tlsplug::Error
    e = Tlsplug::Error.new("read ECONNRESET", "ECONNRESET")
    assert_kind_of Errno::ECONNRESET, e
    assert_equal Errno::ECONNRESET::Errno, e.errno
    assert_kind_of Tlsplug::GeneralError, Tlsplug::Error.new("plain")
    assert_raises(Tlsplug::Error) { raise Tlsplug::Error, "raised by name" }
  end

  def test_refused_on_the_loop_is_errno_econnrefused
    port = closed_port
    expected = node_done("tls.connect(#{port},'127.0.0.1').on('error',e=>done(e.code))")
    err = nil
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    c.on("error") { |e| err = e }
    run_until("error") { err }
    assert_kind_of Errno::ECONNREFUSED, err
    assert_kind_of Tlsplug::Error, err
    assert_equal expected, err.code
    assert_equal Errno::ECONNREFUSED::Errno, err.errno
  end

  def test_refused_ssl_socket_raises_errno_econnrefused
    port = closed_port
    expected = node_done("tls.connect(#{port},'127.0.0.1').on('error',e=>done(e.code))")
    e = assert_raises(Errno::ECONNREFUSED) { Tlsplug::SSLSocket.open("127.0.0.1", port, **client_opts) }
    assert_equal expected, e.code
    assert_kind_of Tlsplug::Error, e
  end

  def test_unresolvable_name_is_socket_error
    expected = node_done("tls.connect(443,'no-such-host.invalid').on('error',e=>done(e.code))")
    e = assert_raises(SocketError) { Tlsplug::SSLSocket.open("no-such-host.invalid", 443) }
    assert_equal expected, e.code
    err = nil
    c = Tlsplug.connect(443, "no-such-host.invalid")
    c.on("error") { |x| err = x }
    run_until("lookup error") { err }
    assert_kind_of SocketError, err
    assert_equal expected, err.code
  end

  def test_untrusted_certificate_is_openssl_ssl_error
    port = node_server("untrusted.key", "untrusted-chain.pem")
    expected = node_client_code(port)
    refute_equal "SECURE", expected
    e = assert_raises(OpenSSL::SSL::SSLError) { Tlsplug::SSLSocket.open("127.0.0.1", port, **client_opts) }
    assert_kind_of Tlsplug::CertificateVerificationError, e
    assert_equal expected, e.code
    assert_equal OpenSSL::X509.const_get("V_ERR_#{expected}"), e.verify_result
  end

  def test_wrong_name_is_a_verification_error
    port = node_server("server.key", "server-chain.pem")
    expected = node_client_code(port, servername: "wrong.test")
    assert_equal "SECURE", node_client_code(port) # the control
    e = assert_raises(OpenSSL::SSL::SSLError) do
      Tlsplug::SSLSocket.open("127.0.0.1", port, ca: [pem("ca.pem")], servername: "wrong.test")
    end
    assert_kind_of Tlsplug::CertificateVerificationError, e
    assert_equal expected, e.code
    assert_equal OpenSSL::X509::V_ERR_HOSTNAME_MISMATCH, e.verify_result
  end

  def test_protocol_failure_is_ssl_error_not_verification
    port = node_server("server.key", "server-chain.pem", minVersion: "TLSv1.3")
    expected = node_client_code(port, extra: ",maxVersion:'TLSv1.2'")
    assert expected.start_with?("ERR_SSL_"), expected
    e = assert_raises(OpenSSL::SSL::SSLError) do
      Tlsplug::SSLSocket.open("127.0.0.1", port, **client_opts, max_version: "TLSv1.2")
    end
    assert_instance_of Tlsplug::SSLError, e
    assert_equal expected, e.code
  end

  def test_server_address_has_symbol_keys_and_connect_block_gets_the_socket
    server = Tlsplug.create_server(server_opts) { |s| s.on("error") { |_e| nil }; s.end("x") }
    server.listen(0, "127.0.0.1")
    run_until("listening") { server.address }
    a = server.address
    assert_equal %i[port family address], a.keys
    assert_equal "127.0.0.1", a[:address]
    assert_equal "IPv4", a[:family]
    assert_equal a[:port], a["port"] # Node's names still read
    got = nil
    c = Tlsplug.connect(a[:port], "127.0.0.1", **client_opts) { |s| got = s }
    run_until("secureConnect") { got }
    assert_same c, got
    assert_equal a[:port], c.remote_port
    assert_equal "127.0.0.1", c.address[:address]
    c.destroy
    closed = false
    server.close { closed = true }
    run_until("server closed") { closed }
  end
end
