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
end
