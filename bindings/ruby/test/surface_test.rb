# frozen_string_literal: true

require_relative "test_helper"

# The binding's surface against the registry (abi/tlsplug.toml), read here on
# its own: every plain getter (a function's `getter`) is reachable under the
# snake_case of its Node name (a bool also as a predicate: session_reused?,
# authorized?) and is the generated one (no hand-written twin); every
# registry function is used by the binding or listed below as deliberately
# not exposed. Python's tests/test_surface.py checks the same of the Python
# binding, so the two bindings keep one surface.
class SurfaceTest < Minitest::Test
  ROOT = File.expand_path("../../..", __dir__)
  REGISTRY = File.join(ROOT, "abi", "tlsplug.toml")
  LIB = File.expand_path("../lib", __dir__)
  CLASSES = { "socket" => Tlsplug::TLSSocket, "server" => Tlsplug::Server,
              "context" => Tlsplug::SecureContext }.freeze

  # Registry functions this binding does not call, and why. Keep it short: a
  # function that a binding should have is a gap, not a choice.
  NOT_EXPOSED = {
    "tlsplug_socket_set_event_queue" => "events arrive by callback (tlsplug_socket_on)",
    "tlsplug_socket_next_event" => "events arrive by callback (tlsplug_socket_on)",
    "tlsplug_server_set_event_queue" => "events arrive by callback (tlsplug_server_on)",
    "tlsplug_server_next_event" => "events arrive by callback (tlsplug_server_on)",
    "tlsplug_socket_peek_output" => "pull copies the output (tlsplug_socket_pull)",
    "tlsplug_socket_consume_output" => "pull copies the output (tlsplug_socket_pull)",
    "tlsplug_socket_read" => "cleartext arrives as 'data' events, buffered by the binding",
    "tlsplug_socket_feed_read" => "cleartext arrives as 'data' events, batched (set_data_batch)",
    "tlsplug_socket_pull" => "pull takes the output with write_pull, one call per 64 KiB",
    "tlsplug_socket_set_npn_protocols" => "NPN: GnuTLS answers E_UNSUPPORTED (use ALPN)",
    "tlsplug_server_accept" => "the sans-IO server; Server runs on the loop",
    "tlsplug_socket_tick" => "the sans-IO server's timer; the loop runs it",
    "tlsplug_server_session_store_fd" => "the sans-IO server's session store; the loop polls it",
    "tlsplug_server_session_store_dispatch" => "the sans-IO server's session store; the loop polls it",
    "tlsplug_socket_next_timeout" => "the sans-IO server's timer; the loop runs it",
    "tlsplug_loop_run" => "Tlsplug.run drives run_once / run_for, checking its block",
    "tlsplug_loop_listen_fd" => "a gap: Python's listen takes an fd; Ruby's does not yet",
    "tlsplug_context_add_key_file" => "a C convenience: Ruby reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_cert_file" => "a C convenience: Ruby reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_ca_file" => "a C convenience: Ruby reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_crl_file" => "a C convenience: Ruby reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_pfx_file" => "a C convenience: Ruby reads the file (Node's fs.readFileSync)",
    "tlsplug_socket_set_alpn_list" => "a C convenience: alpn_protocols is an array already",
    "tlsplug_server_set_alpn_list" => "a C convenience: alpn_protocols is an array already"
  }.freeze

  # obj.method( in a registry function's `node`, not after `new` (a constructor).
  NODE_CALL = /(?<!new )\b(tls|tlsSocket|socket|server)\.(\w+)\(/

  # The registry's functions: [name, handle type of the first parameter or
  # nil, getter's Node name or nil, getter is a method]. Parsed by line: one
  # `name = "..."`, `getter = ...` and params block per [[function]].
  def self.functions
    File.read(REGISTRY).split(/^\[\[function\]\]\n/).drop(1).map do |block|
      name = block[/^name = "([^"]+)"/, 1]
      first = block[/^params = \[\n\s*\{ name = "[^"]*", type = "([^"]+)"/, 1]
      line = block[/^getter = (.*)$/, 1]
      node = line && (line[/\A"([^"]+)"/, 1] || line[/node = "([^"]+)"/, 1])
      [name, first, node&.delete_suffix("()"), node&.end_with?("()") || false]
    end
  end

  # Node's camelCase in snake_case (getTLSTicket -> get_tls_ticket), written
  # apart from the generator's so the test checks it.
  def snake(node)
    node.gsub(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/, "_").downcase
  end

  def hand_written_source
    Dir[File.join(LIB, "**", "*.rb")].reject { |f| f.end_with?("/abi.rb") }.sort.map { |f| File.read(f) }.join("\n")
  end

  def getters
    self.class.functions.select { |f| f[2] }
  end

  def test_registry_has_getters
    assert_operator getters.size, :>=, 10
  end

  def test_every_getter_is_reachable_under_its_node_name
    getters.each do |name, handle, node, _method|
      cls = CLASSES.fetch(handle)
      mixin = Tlsplug::ABI.const_get("#{handle.capitalize}Getters")
      ruby = snake(node)
      entry = Tlsplug::ABI::GETTERS.fetch(handle).find { |_n, e| e[5] == node }
      refute_nil entry, "#{name}: not in ABI::GETTERS"
      names = [entry[0], *entry[1][0]]
      assert_includes names, ruby, "#{name}: reachable as #{ruby}"
      if entry[1][2] == "bool"
        predicate = "#{ruby.delete_prefix('is_')}?"
        assert_includes names, predicate, "#{name}: a bool answers to #{predicate}"
      end
      assert_equal name.delete_prefix("tlsplug_"), entry[1][1]
      names.each do |m|
        assert cls.public_method_defined?(m), "#{cls}##{m} (Node: #{node})"
        assert_equal mixin, cls.instance_method(m).owner, "#{cls}##{m}: a hand-written twin shadows it"
        assert_equal 0, cls.instance_method(m).arity, "#{cls}##{m} takes no argument"
      end
    end
  end

  def test_generated_getters_are_all_from_the_registry
    expected = getters.map { |_n, handle, node, _m| [handle, node] }.sort
    got = Tlsplug::ABI::GETTERS.flat_map { |h, t| t.values.map { |e| [h, e[5]] } }.sort
    assert_equal expected, got
  end

  def test_no_hand_written_getter_calls_the_c_function
    src = hand_written_source
    getters.each do |name, *|
      short = name.delete_prefix("tlsplug_")
      refute_match(/[.:]#{short}\b/, src, "#{name} is a generated getter: no hand-written call")
    end
  end

  # A registry function whose Node name is a call of Node's API
  # (tlsSocket.renegotiate(options, callback), server.setSecureContext(...),
  # tls.createSecurePair(...)) is a gap when the binding has no method of
  # that name, whatever NOT_EXPOSED says: only plumbing may be left out.
  def test_every_node_method_the_registry_names_is_here
    missing = []
    File.read(REGISTRY).split(/^\[\[function\]\]\n/).drop(1).each do |block|
      name = block[/^name = "([^"]+)"/, 1]
      node = block[/^node = "([^"]*)"/, 1].to_s
      node.scan(NODE_CALL) do |obj, method|
        ruby = snake(method)
        found = case obj
                when "tls" then Tlsplug.respond_to?(ruby)
                when "server" then Tlsplug::Server.public_method_defined?(ruby)
                else Tlsplug::TLSSocket.public_method_defined?(ruby)
                end
        missing << "#{name}: #{obj}.#{method}() -> #{ruby}" unless found
      end
    end
    assert_equal [], missing, "Node methods the binding lacks"
  end

  def test_every_function_is_used_or_listed
    src = hand_written_source
    functions = self.class.functions
    unused = functions.reject do |name, _h, node, _m|
      node || src.match?(/[.:]#{name.delete_prefix('tlsplug_')}\b/) || src.match?(/\b#{name}\b/)
    end.map(&:first)
    (NOT_EXPOSED.keys - unused).each { |n| flunk "#{n} is used by the binding: take it off NOT_EXPOSED" }
    assert_equal [], (unused - NOT_EXPOSED.keys).sort,
                 "registry functions the binding neither uses nor lists in NOT_EXPOSED"
    assert_equal [], (NOT_EXPOSED.keys - functions.map(&:first)).sort, "NOT_EXPOSED names no function"
  end
end
