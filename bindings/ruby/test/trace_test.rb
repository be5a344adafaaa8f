# frozen_string_literal: true

require_relative "test_helper"

# enableTrace() through the Ruby binding: each end reports its handshake
# messages, one line each, to the block (or $stderr by default).
class TraceTest < Minitest::Test
  include TestHelper

  def test_both_roles
    lines = { client: [], server: [] }
    server = Tlsplug.create_server(**server_opts, &:end)
    server.on("connection") { |s| s.enable_trace { |l| lines[:server] << l } }
    _, port = listen(server)
    c = Tlsplug.connect(port: port, host: "127.0.0.1", reject_unauthorized: false)
    c.enable_trace { |l| lines[:client] << l }
    closed = false
    c.on("close") { closed = true }
    run_until("client closed") { closed }
    server.close
    Tlsplug.run(timeout: 5)
    key = ->(ls) { ls.map { |l| l[/\A(Sent|Received) (ClientHello|ServerHello|Finished),/, 0]&.chomp(",") }.compact }
    assert_equal ["Sent ClientHello", "Received ServerHello", "Received Finished", "Sent Finished"], key.call(lines[:client])
    assert_equal ["Received ClientHello", "Sent ServerHello", "Sent Finished", "Received Finished"], key.call(lines[:server])
    assert(lines[:client].all? { |l| l =~ /\A(Sent|Received) \w+, Length=\d+\z/ })
  end
end
