# frozen_string_literal: true

require_relative "test_helper"

# pskCallback and pskIdentityHint through the Ruby binding: a tlsplug server
# and client on the loop, no certificates, the key from each side's Proc;
# a server that refuses the identity fails the client with the alert OpenSSL
# sends (unknown_psk_identity at TLS 1.2, handshake_failure at TLS 1.3).
class PSKTest < Minitest::Test
  include TestHelper

  KEY = ["82072606b502b0f4025e90eb75fe137d"].pack("H*")
  CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"

  def round(identity, max_version)
    seen = { hints: [], identities: [] }
    server = Tlsplug.create_server(ciphers: CIPHERS, psk_identity_hint: "hint-1",
                                   psk_callback: lambda { |sock, id|
                                     seen[:identities] << [sock.class, id]
                                     id == "UserB" ? KEY : nil
                                   }) { |s| s.end("hello") }
    server.on("tlsClientError") { |_e, _s| nil }
    _, port = listen(server)
    opts = { port: port, host: "127.0.0.1", ciphers: CIPHERS, check_server_identity: ->(*_a) {},
             psk_callback: lambda { |hint|
               seen[:hints] << hint
               { psk: KEY, identity: identity }
             } }
    opts[:max_version] = max_version if max_version
    c = Tlsplug.connect(**opts)
    c.on("secureConnect") { seen[:protocol] = c.get_protocol }
    c.on("data") { |d| seen[:data] = d }
    c.on("error") { |e| seen[:error] = e.code }
    c.on("close") { seen[:closed] = true }
    run_until("client closed") { seen[:closed] }
    server.close
    Tlsplug.run(timeout: 5)
    seen
  end

  def test_tls12_with_hint
    seen = round("UserB", "TLSv1.2")
    assert_equal "TLSv1.2", seen[:protocol]
    assert_equal "hello", seen[:data]
    assert_equal ["hint-1"], seen[:hints]
    assert_equal [[Tlsplug::TLSSocket, "UserB"]], seen[:identities]
  end

  def test_tls13_external_psk
    seen = round("UserB", nil)
    assert_equal "TLSv1.3", seen[:protocol]
    assert_equal "hello", seen[:data]
    assert_equal [nil], seen[:hints] # TLS 1.3 carries no hint
  end

  def test_refused_identity
    assert_equal "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY", round("UserC", "TLSv1.2")[:error]
    assert_equal "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", round("UserC", nil)[:error]
  end

  def test_long_hint
    err = assert_raises(Tlsplug::Error) do
      Tlsplug.create_secure_context(psk_callback: ->(*_a) {}, psk_identity_hint: "a" * 512)
    end
    assert_equal "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED", err.code
  end
end
