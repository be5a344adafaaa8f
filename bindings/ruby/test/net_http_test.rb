# frozen_string_literal: true

require_relative "test_helper"
require "digest"
require "json"
require "net/http"
require "open3"
require "socket"
require "tlsplug"

# Ruby's standard library over tlsplug: Net::HTTP (Tlsplug::NetHTTP, and
# every Net::HTTP once Adapter is prepended) against Node's https server,
# and an HTTP server on Tlsplug::SSLServer serving Node's https client and
# curl, keep-alive included.
class NetHTTPTest < Minitest::Test
  include TestHelper

  # Node's https server: answers JSON facts about the request and its
  # connection; /big answers a chunked body of BIG bytes.
  NODE_HTTPS = <<~JS
    const https = require('https'), fs = require('fs'), P = process.env.PKI;
    let conns = 0;
    const s = https.createServer({ key: fs.readFileSync(P + '/server.key'),
                                   cert: fs.readFileSync(P + '/server-chain.pem') }, (q, r) => {
      let body = '';
      q.on('data', (d) => { body += d; });
      q.on('end', () => {
        if (q.url === '/big') {
          const part = Buffer.alloc(65536, 'chunked!');
          for (let i = 0; i < 16; i++) r.write(part);
          return r.end();
        }
        r.setHeader('content-type', 'application/json');
        r.end(JSON.stringify({ url: q.url, method: q.method, body, conns,
          port: q.socket.remotePort, servername: q.socket.servername || null,
          reused: q.socket.isSessionReused() }));
      });
    });
    s.on('secureConnection', () => { conns++; });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));
    setTimeout(() => process.exit(3), 30000).unref();
  JS

  # Node's https client: two requests on one keep-alive connection.
  NODE_CLIENT = <<~JS
    const https = require('https'), fs = require('fs'), P = process.env.PKI;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path) => new Promise((ok, fail) => {
      https.get({ host: '127.0.0.1', port: +process.env.PORT, path, servername: 'localhost', agent,
                  ca: [fs.readFileSync(P + '/ca.pem')] }, (r) => {
        let b = ''; r.on('data', (d) => { b += d; });
        r.on('end', () => ok({ status: r.statusCode, body: b, reused: r.req.reusedSocket }));
      }).on('error', fail);
    });
    (async () => {
      const out = [await get('/one'), await get('/two')];
      agent.destroy();
      console.log(JSON.stringify(out));
    })().catch((e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });
    setTimeout(() => process.exit(3), 20000).unref();
  JS

  def setup
    need_node
  end

  def teardown
    reap_children
    @http_server&.close
  end

  def node_https_port
    node_listening(NODE_HTTPS)
  end

  # Node's error code for a tls client to +port+ with +opts_js+ ("SECURE" when it connects).
  def node_code(port, opts_js)
    node_done("tls.connect(Object.assign({port:#{port},host:'127.0.0.1'},#{opts_js}))" \
              ".on('error',e=>done(e.code)).on('secureConnect',()=>done('SECURE'))")
  end

  def test_keep_alive_post_and_chunked_against_node
    port = node_https_port
    answers = []
    big = nil
    peer = nil
    Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, ca_file: pki_path("ca.pem")) do |http|
      3.times { |i| answers << JSON.parse(http.get("/get#{i}").body) }
      answers << JSON.parse(http.post("/form", "a=1&b=2").body)
      big = http.get("/big")
      answers << JSON.parse(http.request(Net::HTTP::Put.new("/put"), "x" * 100_000).body)
      peer = http.peer_cert
      assert_equal "TLSv1.3", http.tlsplug_socket.ssl_version
    end
    assert_equal %w[/get0 /get1 /get2 /form /put], answers.map { |a| a["url"] }
    assert_equal %w[GET GET GET POST PUT], answers.map { |a| a["method"] }
    assert_equal "a=1&b=2", answers[3]["body"]
    assert_equal 100_000, answers[4]["body"].bytesize
    assert_equal [1], answers.map { |a| a["conns"] }.uniq, "one TLS connection for every request"
    assert_equal 1, answers.map { |a| a["port"] }.uniq.size
    assert_equal ["localhost"], answers.map { |a| a["servername"] }.uniq
    assert_equal "chunked", big["transfer-encoding"]
    assert_equal "chunked!" * (16 * 65_536 / 8), big.body
    assert_equal OpenSSL::X509::Certificate.new(pem("server.pem")).to_der, peer.to_der
  end

  def test_a_new_connection_resumes_the_session
    port = node_https_port
    http = Tlsplug::NetHTTP.new("localhost", port)
    http.use_ssl = true
    http.ca_file = pki_path("ca.pem")
    first = http.start { JSON.parse(http.get("/1").body) }
    second = http.start { JSON.parse(http.get("/2").body) }
    assert_equal [1, 2], [first["conns"], second["conns"]], "two connections"
    assert_equal [false, true], [first["reused"], second["reused"]]
  end

  def test_tls_failures_are_openssl_ssl_errors_with_nodes_codes
    port = node_https_port
    no_ca = node_code(port, "{servername:'localhost'}")
    wrong_name = node_code(port, "{servername:'wrong.test',ca:[fs.readFileSync(P+'/ca.pem')]}")
    refute_equal "SECURE", no_ca
    e = assert_raises(OpenSSL::SSL::SSLError) { Tlsplug::NetHTTP.get(URI("https://localhost:#{port}/")) }
    assert_equal no_ca, e.code
    assert_kind_of Tlsplug::CertificateVerificationError, e
    e = assert_raises(OpenSSL::SSL::SSLError) do
      Tlsplug::NetHTTP.start("wrong.test", port, ipaddr: "127.0.0.1", use_ssl: true, ca_file: pki_path("ca.pem"))
    end
    assert_equal wrong_name, e.code
    # The controls: Net::HTTP's own switches turn the checks off.
    res = Tlsplug::NetHTTP.start("wrong.test", port, ipaddr: "127.0.0.1", use_ssl: true,
                                                     ca_file: pki_path("ca.pem"), verify_hostname: false) { |h| h.get("/n") }
    assert_equal "/n", JSON.parse(res.body)["url"]
    res = Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, verify_mode: OpenSSL::SSL::VERIFY_NONE) { |h| h.get("/v") }
    assert_equal "/v", JSON.parse(res.body)["url"]
  end

  def test_refused_is_errno_econnrefused_and_unsupported_settings_refuse
    s = TCPServer.new("127.0.0.1", 0)
    port = s.addr[1]
    s.close
    expected = node_code(port, "{}")
    e = assert_raises(Errno::ECONNREFUSED) { Tlsplug::NetHTTP.start("127.0.0.1", port, use_ssl: true) }
    assert_equal expected, e.code
    assert_match(/Failed to open TCP connection/, e.message)
    port = node_https_port
    e = assert_raises(Tlsplug::Error) do
      Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, verify_callback: ->(ok, _ctx) { ok })
    end
    assert_equal "ERR_TLSPLUG_UNSUPPORTED", e.code
  end

  def test_open_and_read_timeouts_are_net_http_s
    silent = TCPServer.new("127.0.0.1", 0) # accepts (backlog), never says hello
    assert_raises(Net::OpenTimeout) do
      Tlsplug::NetHTTP.start("localhost", silent.addr[1], use_ssl: true, open_timeout: 0.3)
    end
    port = start_http_server
    @mute = true # the server reads requests and never answers
    assert_raises(Net::ReadTimeout) do
      Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, ca_file: pki_path("ca.pem"), read_timeout: 0.3,
                                                max_retries: 0) { |h| h.get("/slow") }
    end
  ensure
    silent&.close
  end

  def test_cert_store_verifies_the_chain
    port = node_https_port
    empty = OpenSSL::X509::Store.new
    store = OpenSSL::X509::Store.new
    store.add_file(pki_path("ca.pem"))
    expected = node_code(port, "{servername:'localhost'}")
    e = assert_raises(OpenSSL::SSL::SSLError) do
      Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, cert_store: empty) { |h| h.get("/never") }
    end
    assert_equal expected, e.code
    e = assert_raises(OpenSSL::SSL::SSLError) do
      Tlsplug::NetHTTP.start("wrong.test", port, ipaddr: "127.0.0.1", use_ssl: true, cert_store: store)
    end
    assert_equal node_code(port, "{servername:'wrong.test',ca:[fs.readFileSync(P+'/ca.pem')]}"), e.code
    res = Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, cert_store: store) { |h| h.get("/store") }
    assert_equal "/store", JSON.parse(res.body)["url"]
  end

  def test_prepended_adapter_carries_open_uri_without_openssl
    port = node_https_port
    script = <<~RB
      require "net/http"
      require "open-uri"
      require "tlsplug"
      Net::HTTP.prepend(Tlsplug::NetHTTP::Adapter)
      # Prove that OpenSSL's sockets are not used.
      OpenSSL::SSL::SSLSocket.define_singleton_method(:new) { |*| raise "OpenSSL::SSL::SSLSocket used" }
      puts URI.open("https://localhost:#{port}/via-open-uri", ssl_ca_cert: #{pki_path('ca.pem').inspect}).read
    RB
    lib = File.expand_path("../lib", __dir__)
    out, status = Timeout.timeout(30) { Open3.capture2("ruby", "-I", lib, "-e", script, stdin_data: "") }
    assert status.success?, out
    assert_equal "/via-open-uri", JSON.parse(out)["url"]
  end

  # An HTTP/1.1 server on Tlsplug::SSLServer (one thread per connection):
  # answers "path connection#request#" with keep-alive.
  def start_http_server
    @http_server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 0), key: pem("server.key"),
                                                                        cert: pem("server-chain.pem"))
    conns = 0
    Thread.new do
      loop do
        ssl = begin
          @http_server.accept
        rescue Tlsplug::Error
          next
        rescue IOError, SystemCallError
          break
        end
        conns += 1
        Thread.new(ssl, conns) { |s, n| serve_http(s, n) }
      end
    end
    @http_server.addr[1]
  end

  def serve_http(ssl, conn)
    count = 0
    while (line = ssl.gets)
      headers = {}
      while (h = ssl.gets) && h != "\r\n"
        k, v = h.split(":", 2)
        headers[k.downcase] = v.strip
      end
      ssl.read(headers["content-length"].to_i) if headers["content-length"]
      next if @mute

      count += 1
      body = "#{line.split[1]} #{conn}##{count}"
      ssl.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: #{body.bytesize}\r\n\r\n#{body}")
      break if headers["connection"] == "close"
    end
  rescue Tlsplug::Error
    nil # the client went away
  ensure
    ssl.close
  end

  def test_ssl_server_serves_node_https_client_keep_alive
    port = start_http_server
    pid, out = spawn_node(NODE_CLIENT, "PORT" => port.to_s)
    res = JSON.parse(read_line(out, timeout: 20))
    Process.wait(pid)
    @children.delete(pid)
    assert_equal [200, 200], res.map { |r| r["status"] }
    assert_equal ["/one 1#1", "/two 1#2"], res.map { |r| r["body"] }
    assert_equal [false, true], res.map { |r| r["reused"] }
  end

  def test_ssl_server_serves_curl_keep_alive
    curl = ENV["PATH"].split(":").map { |d| File.join(d, "curl") }.find { |p| File.executable?(p) }
    skip "curl not found" unless curl
    port = start_http_server
    url = "https://localhost:#{port}"
    out, err, status = Timeout.timeout(30) do
      Open3.capture3(curl, "-sS", "--max-time", "20", "--cacert", pki_path("ca.pem"),
                     "-w", " connects=%{num_connects}\n", "#{url}/a", "#{url}/b", "-d", "x=1", "#{url}/c")
    end
    assert status.success?, err
    assert_equal ["/a 1#1 connects=1", "/b 1#2 connects=0", "/c 1#3 connects=0"], out.lines.map(&:chomp)
  end

  def test_net_http_against_tlsplug_ssl_server
    port = start_http_server
    bodies = Tlsplug::NetHTTP.start("localhost", port, use_ssl: true, ca_file: pki_path("ca.pem")) do |http|
      [http.get("/x").body, http.post("/y", "z" * 5000).body]
    end
    assert_equal ["/x 1#1", "/y 1#2"], bodies
  end
end
