# frozen_string_literal: true

require_relative "test_helper"

# A server made from options takes Node's Server defaults: honorCipherOrder
# true unless given (tests/node/test_honorcipherorder.py checks the same
# against live node through Python).
class ServerDefaultsTest < Minitest::Test
  include TestHelper

  def chosen(honor)
    opts = { ciphers: "AES256-SHA256:AES128-SHA256", max_version: "TLSv1.2" }
    opts[:honor_cipher_order] = honor unless honor.nil?
    server = Tlsplug.create_server(**server_opts, **opts) { |s| s.end }
    _, port = listen(server)
    name = nil
    closed = false
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, ciphers: "AES128-SHA256:AES256-SHA256",
                                           max_version: "TLSv1.2") do
      name = c.get_cipher["name"]
      c.end
    end
    c.on("close") { closed = true }
    run_until("client closed") { closed }
    server.close
    Tlsplug.run(timeout: 5)
    name
  end

  def test_server_order_unless_honor_cipher_order_is_false
    assert_equal "AES256-SHA256", chosen(nil)
    assert_equal "AES256-SHA256", chosen(true)
    assert_equal "AES128-SHA256", chosen(false)
  end
end
