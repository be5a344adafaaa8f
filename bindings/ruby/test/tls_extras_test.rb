# frozen_string_literal: true

require_relative "test_helper"

# The rest of Node 20's tls surface, on in-memory pairs: exportKeyingMaterial,
# ALPNCallback, PSK, certificates, sigalgs, rootCertificates, enableTrace,
# the IP servername deprecation.
class TlsExtrasTest < Minitest::Test
  include TestHelper

  def pair(server_extra = {}, client_extra = {}, sctx: nil, cctx: nil)
    sctx ||= Tlsplug.create_secure_context(**server_opts)
    server = Tlsplug::TLSSocket.new(is_server: true, secure_context: sctx, **server_extra)
    client = if cctx
               Tlsplug::TLSSocket.new(secure_context: cctx, servername: "localhost", **client_extra)
             else
               Tlsplug::TLSSocket.new(**client_opts, **client_extra)
             end
    [client, server]
  end

  def handshaken(version)
    client, server = pair(sctx: Tlsplug.create_secure_context(**server_opts, max_version: version),
                          cctx: Tlsplug.create_secure_context(ca: [pem("ca.pem")], max_version: version))
    shuttle(client, server)
    assert_equal version, client.get_protocol
    [client, server]
  end

  def sigalgs_pair(version, csig, ssig)
    cctx = Tlsplug.create_secure_context(ca: [pem("ca.pem")], max_version: version, sigalgs: csig,
                                         cert: pem("client-chain.pem"), key: pem("client.key"))
    sctx = Tlsplug.create_secure_context(**server_opts, ca: [pem("ca.pem")], max_version: version,
                                         sigalgs: ssig)
    client, server = pair({ request_cert: true }, sctx: sctx, cctx: cctx)
    shuttle(client, server)
    assert_equal version, client.get_protocol
    [client, server]
  end

  def test_sigalgs_shared_and_negotiated
    %w[TLSv1.2 TLSv1.3].each do |version|
      client, server = sigalgs_pair(version, "RSA-PSS+SHA256:ECDSA+SHA256:rsa_pss_rsae_sha384",
                                    "rsa_pss_rsae_sha384:RSA-PSS+SHA256")
      # The server lists them in the client's order, the client in the server's.
      assert_equal %w[RSA-PSS+SHA256 RSA-PSS+SHA384], server.shared_sigalgs
      assert_equal %w[RSA-PSS+SHA384 RSA-PSS+SHA256], client.get_shared_sigalgs
      assert_equal server.signature_algorithm, client.peer_signature_algorithm
      assert_equal client.signature_algorithm, server.peer_signature_algorithm
      assert_includes %w[rsa_pss_rsae_sha256 rsa_pss_rsae_sha384], client.signature_algorithm
      client.close
      server.close
    end
  end

  def test_sigalgs_refused
    ["", "bogus", "RSA+SHA256:RSA+SHA256", "RSA+MD5"].each do |value|
      err = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(sigalgs: value) }
      assert_equal "ERR_INVALID_ARG_VALUE", err.code
    end
    err = assert_raises(TypeError) { Tlsplug.create_secure_context(sigalgs: 1) }
    assert_equal "ERR_INVALID_ARG_TYPE", err.code
    fresh, = pair
    assert_equal [], fresh.shared_sigalgs # as Node's, before the handshake
    assert_nil fresh.peer_signature_algorithm
  end

  def test_export_keying_material_equal_on_both_ends
    %w[TLSv1.2 TLSv1.3].each do |version|
      client, server = handshaken(version)
      a = client.export_keying_material(64, "EXPORTER-test")
      assert_equal 64, a.bytesize
      assert_equal Encoding::BINARY, a.encoding
      assert_equal a, server.export_keying_material(64, "EXPORTER-test")
      with_ctx = client.export_keying_material(64, "EXPORTER-test", "\x00\x01\x02\x03".b)
      assert_equal with_ctx, server.export_keying_material(64, "EXPORTER-test", "\x00\x01\x02\x03".b)
      refute_equal a, with_ctx
      empty = client.export_keying_material(64, "EXPORTER-test", "")
      assert_equal version == "TLSv1.3", empty == a
      err = assert_raises(Tlsplug::Error) { client.export_keying_material(16, "client finished") } if version == "TLSv1.2"
      assert_equal "ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL", err.code if err
      client.close
      server.close
    end
  end

  def test_export_keying_material_errors
    client, server = handshaken("TLSv1.3")
    [[[128, "l", 1234], TypeError, "ERR_INVALID_ARG_TYPE"],
     [[10, nil], TypeError, "ERR_INVALID_ARG_TYPE"],
     [["length", 1234], TypeError, "ERR_INVALID_ARG_TYPE"],
     [[-3, "a"], ArgumentError, "ERR_OUT_OF_RANGE"],
     [[0, "a"], ArgumentError, "ERR_OUT_OF_RANGE"]].each do |args, kind, code|
      err = assert_raises(kind) { client.export_keying_material(*args) }
      assert_equal code, err.code
    end
    fresh, = pair
    err = assert_raises(Tlsplug::Error) { fresh.export_keying_material(16, "EXPORTER-x") }
    assert_equal "ERR_TLS_INVALID_STATE", err.code
    server.close
  end

  # ALPNCallback on a loop server, a tlsplug client offering +protos+.
  def alpn_round(protos, answer)
    seen = []
    got = {}
    server = Tlsplug.create_server(**server_opts, alpn_callback: lambda { |info|
      seen << info
      answer
    }) do |s|
      got[:server] = s.alpn_protocol
      s.end
    end
    server.on("tlsClientError") { |err, _s| got[:server_error] = err.code }
    _, port = listen(server)
    c = Tlsplug.connect(port: port, host: "127.0.0.1", **client_opts, alpn_protocols: protos)
    c.on("secureConnect") { got[:client] = c.alpn_protocol }
    c.on("error") { |e| got[:client_error] = e.code }
    c.on("close") { got[:closed] = true }
    run_until("client closed") { got[:closed] }
    server.close
    Tlsplug.run(timeout: 5)
    [got, seen]
  end

  def test_alpn_callback
    got, seen = alpn_round(%w[a b], "b")
    assert_equal "b", got[:client]
    assert_equal "b", got[:server]
    assert_equal [{ "servername" => "localhost", "protocols" => %w[a b] }], seen
    got, = alpn_round(%w[a], nil)
    assert_equal "ERR_SSL_NO_APPLICATION_PROTOCOL", got[:server_error]
    assert_equal "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", got[:client_error]
    got, = alpn_round(%w[a], "zz")
    assert_equal "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT", got[:server_error]
    assert_equal "ECONNRESET", got[:client_error]
    err = assert_raises(TypeError) do
      Tlsplug.create_server(**server_opts, alpn_protocols: ["a"], alpn_callback: ->(_i) { "a" })
    end
    assert_equal "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS", err.code
  end

  def test_ip_servername_deprecation_once
    server = Tlsplug.create_server(**server_opts, &:end)
    _, port = listen(server)
    was = Warning[:deprecated]
    Warning[:deprecated] = true
    _, err = capture_io do
      2.times do
        closed = false
        c = Tlsplug.connect(port: port, host: "127.0.0.1", servername: "127.0.0.1", reject_unauthorized: false)
        c.on("secureConnect") { c.end }
        c.on("close") { closed = true }
        run_until("client close") { closed }
      end
    end
    Warning[:deprecated] = was
    server.close
    Tlsplug.run(timeout: 5)
    assert_equal 1, err.scan("[DEP0123] DeprecationWarning: #{Tlsplug::Deprecation::IP_SERVERNAME}").size, err
  end

  def test_x509_certificates
    client, server = pair
    shuttle(client, server)
    peer = client.get_peer_x509_certificate
    assert_instance_of Tlsplug::X509Certificate, peer
    assert_equal Tlsplug::X509Certificate.new(pem("server.pem")), peer
    assert_equal server.get_x509_certificate, peer
    assert_equal Tlsplug::X509Certificate.new(pem("int.pem")), peer.issuer_certificate
    assert_nil peer.issuer_certificate.issuer_certificate
    assert_equal "CN=localhost", peer.subject
    assert_equal peer.to_legacy_object["serialNumber"], peer.serial_number
    assert_equal "localhost", peer.check_host("LOCALHOST")
    assert_nil peer.check_host("nope.test")
    assert_equal "127.0.0.1", peer.check_ip("127.0.0.1")
    assert_nil peer.check_ip("10.9.8.7")
    assert peer.check_issued(peer.issuer_certificate)
    refute peer.issuer_certificate.check_issued(peer)
    assert peer.verify(peer.issuer_certificate)
    refute peer.verify(peer)
    assert_equal "rsa", peer.public_key["asymmetric_key_type"]
    assert_equal peer, Tlsplug::X509Certificate.new(peer.to_s)
  end

  def test_root_certificates
    r = Tlsplug.root_certificates
    assert_same r, Tlsplug.root_certificates
    assert r.frozen?
    refute_empty r
    assert(r.all? { |s| s.frozen? && s.start_with?("-----BEGIN CERTIFICATE-----\n") && s.end_with?("\n-----END CERTIFICATE-----") })
    assert_equal r.size, r.uniq.size
    assert_raises(FrozenError) { r << "x" }
    assert_equal Tlsplug::X509Certificate.new(r.first), Tlsplug::X509Certificate.new(r.first + "\n")
  end

  def test_engines_are_refused
    err = assert_raises(Tlsplug::Error) do
      Tlsplug.create_secure_context(private_key_engine: "engine", private_key_identifier: "key")
    end
    assert_equal "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED", err.code
    err = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(client_cert_engine: "x") }
    assert_equal "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED", err.code
    err = assert_raises(TypeError) { Tlsplug.create_secure_context(client_cert_engine: 0) }
    assert_equal "ERR_INVALID_ARG_TYPE", err.code
    err = assert_raises(Tlsplug::Error) { Tlsplug.create_secure_context(private_key_identifier: "key") }
    assert_equal "ERR_INVALID_ARG_VALUE", err.code
  end
end
