# frozen_string_literal: true

require_relative "test_helper"
require "openssl"
require "socket"

# Peers nobody here wrote: Node.js's tls module and Ruby's own OpenSSL.
class InteropTest < Minitest::Test
  include TestHelper

  NODE_SERVER = <<~JS
    const tls = require('tls'), fs = require('fs'), path = require('path');
    const pki = (n) => fs.readFileSync(path.join(process.env.PKI, n));
    const server = tls.createServer({ key: pki('server-ec.key'), cert: pki('server-ec-chain.pem'),
      ALPNProtocols: process.env.ALPN ? process.env.ALPN.split(',') : undefined }, (s) => {
      s.write('node:' + (s.alpnProtocol || '-') + '\\n');
      s.on('data', (d) => s.write(d));
      s.on('end', () => { s.end(); server.close(); });
      s.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  NODE_CLIENT = <<~JS
    const tls = require('tls'), fs = require('fs'), path = require('path');
    const pki = (n) => fs.readFileSync(path.join(process.env.PKI, n));
    let protocol = null;
    const s = tls.connect({ port: +process.env.PORT, host: '127.0.0.1', servername: 'localhost',
      ca: [pki('ca.pem')], ALPNProtocols: process.env.ALPN ? process.env.ALPN.split(',') : undefined }, () => {
      protocol = s.getProtocol();
      s.write('from node');
    });
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d) => { got += d; if (got.endsWith('from node')) s.end(); });
    s.on('close', () => { console.log(JSON.stringify({ got, authorized: s.authorized,
      alpn: s.alpnProtocol, protocol })); });
    s.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  def teardown
    reap_children
  end

  def echo_client(port, **extra)
    got = "".b
    closed = false
    errors = []
    c = Tlsplug.connect(port, "127.0.0.1", **client_opts, **extra) do
      @protocol = c.get_protocol # while open: null once closed, as Node
      c.write("from ruby")
    end
    c.on("data") do |d|
      got << d
      c.end if got.end_with?("from ruby")
    end
    c.on("error") { |e| errors << e }
    c.on("close") { closed = true }
    run_until("client closed", timeout: 15) { closed }
    assert_empty errors
    [c, got]
  end

  def test_client_against_node_server
    need_node
    _pid, out = spawn_node(NODE_SERVER)
    port = Integer(read_line(out))
    c, got = echo_client(port)
    assert_equal "node:-\nfrom ruby", got
    assert c.authorized
    assert_equal "TLSv1.3", @protocol
    assert_nil c.get_protocol
  end

  def test_alpn_client_against_node_server
    need_node
    _pid, out = spawn_node(NODE_SERVER, "ALPN" => "h2,http/1.1")
    port = Integer(read_line(out))
    c, got = echo_client(port, alpn_protocols: %w[http/1.1 foo])
    assert_equal "node:http/1.1\nfrom ruby", got
    assert_equal "http/1.1", c.alpn_protocol
  end

  def node_against_ruby_server(alpn_server, alpn_client)
    need_node
    secured = []
    opts = server_opts
    opts[:alpn_protocols] = alpn_server if alpn_server
    server = Tlsplug.create_server(opts) do |s|
      secured << s.alpn_protocol
      s.on("data") { |d| s.write(d) }
      s.on("end") { s.end }
    end
    _, port = listen(server)
    env = { "PORT" => port.to_s }
    env["ALPN"] = alpn_client if alpn_client
    pid, out = spawn_node(NODE_CLIENT, env)
    status = nil
    run_until("node client exits", timeout: 20) { status ||= Process.wait2(pid, Process::WNOHANG)&.last }
    @children.delete(pid)
    res = JSON.parse(read_line(out))
    assert status.success?, res.inspect
    server.close
    Tlsplug.run(timeout: 5)
    [res, secured]
  end

  def test_node_client_against_ruby_server
    res, secured = node_against_ruby_server(nil, nil)
    assert_equal "from node", res["got"]
    assert_equal true, res["authorized"]
    assert_equal "TLSv1.3", res["protocol"]
    assert_equal [nil], secured
  end

  def test_alpn_node_client_against_ruby_server
    res, secured = node_against_ruby_server(%w[h2 http/1.1], "http/1.1")
    assert_equal "http/1.1", res["alpn"]
    assert_equal ["http/1.1"], secured
  end

  def test_client_against_ruby_openssl_server
    ctx = OpenSSL::SSL::SSLContext.new
    ctx.cert = OpenSSL::X509::Certificate.new(pem("server.pem"))
    ctx.key = OpenSSL::PKey.read(pem("server.key"))
    chain = pem("server-chain.pem").scan(/-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----/m)
    ctx.extra_chain_cert = chain.drop(1).map { |c| OpenSSL::X509::Certificate.new(c) }
    ctx.alpn_protocols = %w[h2 http/1.1]
    ctx.alpn_select_cb = ->(offered) { (offered & %w[http/1.1 h2]).first }
    tcp = TCPServer.new("127.0.0.1", 0)
    port = tcp.addr[1]
    ssl_server = OpenSSL::SSL::SSLServer.new(tcp, ctx)
    thread = Thread.new do
      conn = ssl_server.accept
      conn.write("openssl:#{conn.alpn_protocol}\n")
      while (chunk = conn.readpartial(4096) rescue nil)
        conn.write(chunk)
      end
      conn.close
      :done
    end
    c, got = echo_client(port, alpn_protocols: ["http/1.1"])
    assert_equal "openssl:http/1.1\nfrom ruby", got
    assert_equal "http/1.1", c.alpn_protocol
    assert c.authorized
    assert_equal :done, thread.join(10)&.value
  ensure
    tcp&.close
  end
end
