# frozen_string_literal: true

require_relative "test_helper"

# The two surface gaps the registry's Node names exposed in the Ruby
# binding: tls.createSecurePair and server.setSecureContext / setTicketKeys.
class SecurePairTest < Minitest::Test
  include TestHelper

  def test_secure_pair_handshakes_and_carries_cleartext
    server_ctx = Tlsplug.create_secure_context(key: pem("server.key"), cert: pem("server-chain.pem"))
    client_ctx = Tlsplug.create_secure_context(ca: pem("ca.pem"))
    s = Tlsplug.create_secure_pair(server_ctx, true)
    c = Tlsplug.create_secure_pair(client_ctx, false)
    secure = []
    s.on("secure") { secure << :server }
    c.on("secure") { secure << :client }
    got = +""
    s.cleartext.on("data") { |d| got << d }
    c.cleartext.write("hello")
    50.times do
      a = c.encrypted.read
      s.encrypted.write(a) unless a.empty?
      b = s.encrypted.read
      c.encrypted.write(b) unless b.empty?
      break if a.empty? && b.empty?
    end
    assert_equal %i[client server].sort, secure.sort
    assert_equal "hello", got
    c.destroy
    s.destroy
  end

  def test_server_set_secure_context_and_ticket_keys
    server = Tlsplug.create_server(key: pem("server.key"), cert: pem("server-chain.pem"))
    assert_same server, server.set_secure_context(key: pem("server.key"), cert: pem("server-chain.pem"))
    keys = "k" * 48
    server.set_ticket_keys(keys)
    assert_equal keys.b, server.get_ticket_keys
    assert_raises(Tlsplug::Error) { server.set_ticket_keys("short") }
    server.free if server.respond_to?(:free)
  end
end
