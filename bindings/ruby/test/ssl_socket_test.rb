# frozen_string_literal: true

require_relative "test_helper"
require "digest"
require "json"
require "openssl"
require "socket"

# Tlsplug::SSLSocket and SSLServer: blocking, IO-like sockets over the pump,
# against Node's tls (server and client) and between themselves.
class SSLSocketTest < Minitest::Test
  include TestHelper

  # Node's tls server: sends a greeting (with the ALPN protocol and the
  # client's servername), echoes, and on "BIG n" sends n bytes of a pattern
  # then its SHA-256 on a line.
  NODE_SERVER = <<~JS
    const tls = require('tls'), fs = require('fs'), crypto = require('crypto'), P = process.env.PKI;
    const s = tls.createServer({ key: fs.readFileSync(P + '/server.key'), cert: fs.readFileSync(P + '/server-chain.pem'),
      ALPNProtocols: ['h2', 'http/1.1'] }, (c) => {
      c.write('hello ' + (c.alpnProtocol || '-') + ' ' + (c.servername || '-') + '\\n');
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString('latin1');
        let i;
        while ((i = buf.indexOf('\\n')) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 1);
          const m = /^BIG (\\d+)$/.exec(line);
          if (m) {
            const big = Buffer.alloc(+m[1], 'tlsplug!');
            c.write(big); c.write(crypto.createHash('sha256').update(big).digest('hex') + '\\n');
          } else if (line === 'END') { c.end(); } else { c.write('echo:' + line + '\\n'); }
        }
      });
      c.on('error', () => {});
    });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  # Node's tls client: sends a line, then a large body, reads the answers.
  NODE_CLIENT = <<~JS
    const tls = require('tls'), fs = require('fs'), crypto = require('crypto'), P = process.env.PKI;
    const big = crypto.randomBytes(300000).toString('hex');
    const c = tls.connect({ port: +process.env.PORT, host: '127.0.0.1', servername: 'localhost',
      ca: [fs.readFileSync(P + '/ca.pem')], ALPNProtocols: ['http/1.1'] }, () => {
      c.write('line one\\n' + big + '\\n');
    });
    let got = '';
    c.setEncoding('latin1');
    c.on('data', (d) => { got += d; });
    c.on('end', () => {
      const lines = got.split('\\n');
      console.log(JSON.stringify({ first: lines[0], digest: lines[1],
        expected: crypto.createHash('sha256').update(big).digest('hex'), authorized: c.authorized,
        alpn: c.alpnProtocol, protocol: c.getProtocol() }));
    });
    c.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  def setup
    need_node
  end

  def teardown
    reap_children
  end

  def node_server_port
    node_listening(NODE_SERVER)
  end

  def open_client(port, **extra)
    tcp = TCPSocket.new("127.0.0.1", port)
    ssl = Tlsplug::SSLSocket.new(tcp, { ca: [pem("ca.pem")] }.merge(extra))
    ssl.hostname = "localhost"
    ssl.sync_close = true
    ssl.connect
  end

  def test_client_reads_lines_and_session_facts
    port = node_server_port
    ssl = open_client(port, alpn_protocols: %w[http/1.1])
    assert_equal "hello http/1.1 localhost\n", ssl.gets
    assert_equal "TLSv1.3", ssl.ssl_version
    assert_equal "http/1.1", ssl.alpn_protocol
    name, version, = ssl.cipher
    assert_equal "TLSv1.3", version
    assert_match(/\ATLS_/, name)
    cert = ssl.peer_cert
    assert_kind_of OpenSSL::X509::Certificate, cert
    assert_equal OpenSSL::X509::Certificate.new(pem("server.pem")).to_der, cert.to_der
    chain = ssl.peer_cert_chain
    assert_equal cert.to_der, chain.first.to_der
    assert_equal chain[0].issuer.to_s, chain[1].subject.to_s
    assert_equal 0, ssl.verify_result
    assert ssl.post_connection_check("localhost")
    assert_raises(Tlsplug::IdentityError) { ssl.post_connection_check("other.test") }
    ssl.puts "one", "two"
    ssl.print "three\n"
    ssl << "four\n"
    assert_equal ["echo:one\n", "echo:two\n", "echo:three\n"], Array.new(3) { ssl.gets }
    assert_equal "echo:four", ssl.gets(chomp: true)
    ssl.write("END\n")
    assert_nil ssl.gets
    assert ssl.eof?
    assert_raises(EOFError) { ssl.readpartial(10) }
    ssl.close
    assert ssl.closed?
    assert ssl.io.closed?, "sync_close closes the TCP socket"
    assert_nil ssl.close # twice is fine
  end

  def test_read_forms_and_a_large_body
    port = node_server_port
    ssl = open_client(port)
    assert_equal "hello - localhost\n", ssl.read(18)
    n = 1_000_000
    ssl.write("BIG #{n}\n")
    head = ssl.readpartial(100) # what came first, at most 100 bytes
    assert_operator head.bytesize, :<=, 100
    body = head + ssl.read(n - head.bytesize)
    assert_equal "#{Digest::SHA256.hexdigest(body)}\n", ssl.gets
    assert_equal ("tlsplug!" * (n / 8)), body
    # read_nonblock: nothing yet, then the line once it came.
    assert_equal :wait_readable, ssl.read_nonblock(100, exception: false)
    assert_raises(IO::WaitReadable) { ssl.read_nonblock(100) }
    ssl.write("ping\n")
    got = +""
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
    until got.end_with?("\n")
      r = ssl.read_nonblock(100, exception: false)
      if r == :wait_readable
        flunk "no echo within 10 s" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
        ssl.to_io.wait_readable(1)
      else
        got << r
      end
    end
    assert_equal "echo:ping\n", got
    ssl.write("a\nb\nEND\n")
    assert_equal ["echo:a\n", "echo:b\n"], ssl.each_line.to_a
    assert_nil ssl.read_nonblock(10, exception: false)
    assert_equal "", ssl.read
    ssl.close
  end

  def test_one_thread_reads_while_another_writes
    port = node_server_port
    ssl = open_client(port)
    ssl.gets # the greeting
    n = 3000
    reader = Thread.new { Array.new(n) { ssl.gets } }
    n.times { |i| ssl.write("line #{i} #{'x' * (i % 200)}\n") }
    lines = reader.join(20)&.value
    refute_nil lines, "the reader did not finish within 20 s"
    assert_equal Array.new(n) { |i| "echo:line #{i} #{'x' * (i % 200)}\n" }, lines
    ssl.close
  end

  def test_ssl_server_serves_node_client
    server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 0), key: pem("server.key"),
                                                                  cert: pem("server-chain.pem"),
                                                                  alpn_protocols: %w[h2 http/1.1])
    port = server.addr[1]
    pid, out = spawn_node(NODE_CLIENT, "PORT" => port.to_s)
    facts = nil
    served = Thread.new do
      ssl = server.accept
      line = ssl.gets
      body = ssl.gets(chomp: true)
      ssl.write("#{line.chomp} via #{ssl.alpn_protocol}\n#{Digest::SHA256.hexdigest(body)}\n")
      facts = [ssl.ssl_version, ssl.peer_cert]
      ssl.close
      :served
    end
    assert_equal :served, served.join(20)&.value
    res = JSON.parse(read_line(out, timeout: 20))
    Process.wait(pid)
    @children.delete(pid)
    assert_equal "line one via http/1.1", res["first"]
    assert_equal res["expected"], res["digest"]
    assert_equal true, res["authorized"]
    assert_equal "http/1.1", res["alpn"]
    assert_equal res["protocol"], facts[0]
    assert_nil facts[1], "the client sent no certificate"
  ensure
    server&.close
  end

  def test_ssl_socket_pair_with_client_certificate
    tcp_server = TCPServer.new("127.0.0.1", 0)
    server = Tlsplug::SSLServer.new(tcp_server, key: pem("server.key"), cert: pem("server-chain.pem"),
                                                ca: [pem("ca.pem")], request_cert: true)
    t = Thread.new do
      s = server.accept
      subject = s.peer_cert.subject.to_s
      s.puts subject
      s.close
    end
    ssl = open_client(tcp_server.addr[1], key: pem("client.key"), cert: pem("client-chain.pem"))
    expected = OpenSSL::X509::Certificate.new(pem("client.pem")).subject.to_s
    assert_equal "#{expected}\n", ssl.gets
    assert_nil ssl.gets
    ssl.close
    t.join(10)
  ensure
    server&.close
  end

  def test_handshake_failure_on_the_server_side_raises_from_accept
    server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 0), key: pem("server.key"),
                                                                  cert: pem("server-chain.pem"))
    t = Thread.new do
      server.accept
    rescue StandardError => e
      e
    end
    tcp = TCPSocket.new("127.0.0.1", server.addr[1])
    tcp.write("GET / HTTP/1.0\r\n\r\n") # no TLS
    err = t.value
    assert_kind_of Tlsplug::Error, err
    assert_kind_of OpenSSL::SSL::SSLError, err
    tcp.close
  ensure
    server&.close
  end

  def test_handshake_timeouts
    silent = TCPServer.new("127.0.0.1", 0)
    tcp = TCPSocket.new("127.0.0.1", silent.addr[1])
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    e = assert_raises(Errno::ETIMEDOUT) { Tlsplug::SSLSocket.new(tcp, client_opts).connect(timeout: 0.3) }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 5
    assert_equal "ERR_TLS_HANDSHAKE_TIMEOUT", e.code
    # The server side: Node's code for a client that never says hello.
    expected = node_done("const s=tls.createServer({key:fs.readFileSync(P+'/server.key')," \
                         "cert:fs.readFileSync(P+'/server-chain.pem'),handshakeTimeout:200});" \
                         "s.on('tlsClientError',e=>done(e.code));" \
                         "s.listen(0,'127.0.0.1',()=>require('net').connect(s.address().port,'127.0.0.1'))")
    server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 0), **server_opts, handshake_timeout: 200)
    quiet = TCPSocket.new("127.0.0.1", server.addr[1])
    e = assert_raises(Tlsplug::Error) { server.accept }
    assert_equal expected, e.code
    assert_kind_of Errno::ETIMEDOUT, e
  ensure
    [tcp, silent, quiet, server].each { |io| io&.close }
  end

  def test_wrong_arguments_raise_at_the_call
    e = assert_raises(TypeError) { Tlsplug::SSLSocket.new("not a socket", {}) }
    assert_equal "ERR_INVALID_ARG_TYPE", e.code
    tcp = TCPServer.new("127.0.0.1", 0)
    sock = TCPSocket.new("127.0.0.1", tcp.addr[1])
    e = assert_raises(TypeError) { Tlsplug::SSLSocket.new(sock, "ca.pem") }
    assert_equal "ERR_INVALID_ARG_TYPE", e.code
    assert_raises(ArgumentError) { Tlsplug::SSLSocket.new(sock, bogus: 1) }
    e = assert_raises(ArgumentError) { Tlsplug::SSLSocket.open("localhost", 99_999) }
    assert_equal "ERR_SOCKET_BAD_PORT", e.code
    # open takes (host, port) as TCPSocket.new: swapped, it refuses at once.
    e = assert_raises(TypeError) { Tlsplug::SSLSocket.open(8000, "localhost") }
    assert_equal "ERR_INVALID_ARG_TYPE", e.code
  ensure
    sock&.close
    tcp&.close
  end
end
