# frozen_string_literal: true

# Ruby's own TLS (the openssl extension, OpenSSL 3) over loopback TCP: the
# runtime's native TLS beside rb-tlsplug. Follows the protocol of
# tests/bench/README.md: the server is a forked child (port and report come
# back on a pipe; it exits when the parent closes the other pipe), the
# client is this process; each reads CLOCK_PROCESS_CPUTIME_ID around its own
# timed section and the last line reports the sum. Blocking sockets, as Ruby
# programs usually do it, every wait bounded (30 s) through IO.select.
#
#   ruby bench_rbssl.rb bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT
#
# TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519; the client trusts ca.pem
# only, sends SNI "localhost" and verifies chain and name (VERIFY_PEER +
# verify_hostname). resume offers the priming connection's session (from
# session_new_cb, after the 1-byte answer brought the tickets in) and checks
# session_reused?. Closing is SSLSocket#close (close_notify, then the fd),
# without waiting for the peer's. mem: *_bytes is the malloc heap in use
# (mallinfo2 uordblks + hblkhd: Ruby's heap and OpenSSL's allocations) after
# GC.start; *_rss_bytes from /proc/self/statm.
require "json"
require "socket"
require "fiddle"
require "tmpdir"

# The openssl extension of Ruby 3.1 has no SSLContext#ciphersuites=: the
# TLS 1.3 suite is set through OpenSSL's own configuration, which the
# library reads (OPENSSL_CONF) when the extension loads, for every context.
OPENSSL_CNF = File.join(Dir.tmpdir, "bench_rbssl.#{Process.pid}.cnf")
File.write(OPENSSL_CNF, <<~CNF)
  openssl_conf = default_conf
  [default_conf]
  ssl_conf = ssl_sect
  [ssl_sect]
  system_default = system_default_sect
  [system_default_sect]
  Ciphersuites = TLS_AES_128_GCM_SHA256
  Groups = X25519
CNF
ENV["OPENSSL_CONF"] = OPENSSL_CNF
require "openssl"
File.delete(OPENSSL_CNF)

IO_TIMEOUT = 30
WATCHDOG = 600
CHUNK = 16_384
SUITE = "TLS_AES_128_GCM_SHA256"

def fail!(msg)
  $stderr.write("bench_rbssl[#{Process.pid}]: #{msg}\n")
  $stderr.flush
  exit!(1)
end

def parse(argv)
  case argv[0]
  when "bulk" then { kind: "bulk", bytes: Float(argv[1]).to_i }
  when "full" then { kind: "full", rsa: argv[1] == "rsa", count: Integer(argv[2]) }
  when "resume", "mem" then { kind: argv[0], count: Integer(argv[1]) }
  else raise ArgumentError
  end
rescue ArgumentError, TypeError
  fail!("usage: bench_rbssl.rb bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT")
end

def pki_path(name)
  dir = ENV["TLSPLUG_PKI"] or fail!("TLSPLUG_PKI is not set")
  File.join(dir, name)
end

def cpu
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

def wall
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

LIBC = Fiddle.dlopen(nil)

# mallinfo2's 80-byte struct comes back by hidden pointer (SysV ABI).
def mallinfo2_heap
  @mi ||= Fiddle::Function.new(LIBC["mallinfo2"], [Fiddle::TYPE_VOIDP], Fiddle::TYPE_VOIDP)
  buf = ("\0" * 80).b
  @mi.call(buf)
  f = buf.unpack("J10")
  f[7] + f[4]
rescue Fiddle::DLError
  nil
end

def mem
  GC.start(full_mark: true, immediate_sweep: true)
  [mallinfo2_heap, File.read("/proc/self/statm").split[1].to_i * 4096]
end

def wait(io, dir, what)
  ok = dir == :read ? IO.select([io], nil, nil, IO_TIMEOUT) : IO.select(nil, [io], nil, IO_TIMEOUT)
  fail!("#{what}: no progress in #{IO_TIMEOUT} s") unless ok
end

# Run a *_nonblock OpenSSL call to completion, each wait bounded.
def nb(ssl, what)
  loop do
    r = yield
    case r
    when :wait_readable then wait(ssl, :read, what)
    when :wait_writable then wait(ssl, :write, what)
    else return r
    end
  end
rescue OpenSSL::SSL::SSLError, SystemCallError, IOError => e
  fail!("#{what}: #{e.class}: #{e.message}")
end

def read_some(ssl, what)
  nb(ssl, what) { ssl.read_nonblock(65_536, exception: false) }
end

def write_all(ssl, data, what)
  until data.empty?
    n = nb(ssl, what) { ssl.write_nonblock(data, exception: false) }
    data = data.byteslice(n, data.bytesize - n)
  end
end

def tls13(ctx)
  ctx.min_version = OpenSSL::SSL::TLS1_3_VERSION
  ctx.max_version = OpenSSL::SSL::TLS1_3_VERSION
  ctx.ciphersuites = SUITE if ctx.respond_to?(:ciphersuites=) # else from OPENSSL_CONF above
  ctx.ecdh_curves = "X25519"
  ctx
end

def server_context(w)
  ctx = tls13(OpenSSL::SSL::SSLContext.new)
  rsa = w[:rsa]
  chain = File.read(pki_path(rsa ? "server-chain.pem" : "server-ec-chain.pem"))
              .scan(/-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?/m)
              .map { |c| OpenSSL::X509::Certificate.new(c) }
  ctx.cert = chain.first
  ctx.extra_chain_cert = chain.drop(1)
  ctx.key = OpenSSL::PKey.read(File.read(pki_path(rsa ? "server.key" : "server-ec.key")))
  ctx.freeze # set up once, before timing
  ctx
end

def client_context(sessions)
  ctx = tls13(OpenSSL::SSL::SSLContext.new)
  ctx.cert_store = OpenSSL::X509::Store.new.tap { |s| s.add_file(pki_path("ca.pem")) }
  ctx.verify_mode = OpenSSL::SSL::VERIFY_PEER
  ctx.verify_hostname = true
  ctx.session_cache_mode = OpenSSL::SSL::SSLContext::SESSION_CACHE_CLIENT
  ctx.session_new_cb = ->(args) { sessions << args[1] }
  ctx.freeze
  ctx
end

def nodelay(sock)
  sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
end

# --- server child ---
def serve(w, report_w, done_r)
  ctx = server_context(w)
  tcp = TCPServer.new("127.0.0.1", 0)
  tcp.listen(1024)
  kind = w[:kind]
  base = mem if kind == "mem"
  report_w.puts(JSON.generate(port: tcp.addr[1]))
  report_w.flush
  c0 = cpu
  held = []
  accept = lambda do
    fail!("accept: nothing in #{IO_TIMEOUT * 4} s") unless IO.select([tcp], nil, nil, IO_TIMEOUT * 4)
    s = tcp.accept
    nodelay(s)
    ssl = OpenSSL::SSL::SSLSocket.new(s, ctx)
    ssl.sync_close = true
    nb(ssl, "server handshake") { ssl.accept_nonblock(exception: false) }
    ssl
  end
  report = nil
  case kind
  when "bulk"
    ssl = accept.call
    t0 = cpu
    got = 0
    while got < w[:bytes]
      d = read_some(ssl, "bulk read")
      fail!("bulk: EOF after #{got}") if d.nil?
      got += d.bytesize
    end
    write_all(ssl, "k", "bulk answer")
    report = { cpu_s: cpu - t0 }
    loop { break if read_some(ssl, "bulk read to EOF").nil? }
    ssl.close
  when "mem"
    w[:count].times do
      ssl = accept.call
      read_some(ssl, "mem read")
      write_all(ssl, "k", "mem answer")
      held << ssl
    end
    heap, rss = mem
    report = { heap_bytes: heap && base[0] && heap - base[0], rss_bytes: rss - base[1] }
  else
    n = w[:count] + (kind == "resume" ? 1 : 0)
    t0 = c0
    n.times do |i|
      t0 = cpu if kind == "resume" && i == 1 # from the second connection
      ssl = accept.call
      read_some(ssl, "read")
      write_all(ssl, "k", "answer")
      loop { break if read_some(ssl, "read to EOF").nil? }
      ssl.close
    end
    report = { cpu_s: cpu - t0 }
  end
  report_w.puts(JSON.generate(report: report))
  report_w.flush
  IO.select([done_r], nil, nil, WATCHDOG)
  exit!(0)
end

# --- client (parent) ---
def client(w)
  report_r, report_w = IO.pipe
  done_r, done_w = IO.pipe
  pid = fork do
    report_r.close
    done_w.close
    serve(w, report_w, done_r)
  end
  report_w.close
  done_r.close
  read_child = lambda do |key|
    line = report_r.gets if IO.select([report_r], nil, nil, IO_TIMEOUT * 4)
    fail!("server child said nothing") if line.nil?
    JSON.parse(line)[key]
  end
  finish = lambda do
    done_w.close
    deadline = wall + IO_TIMEOUT
    loop do
      _, status = Process.wait2(pid, Process::WNOHANG)
      if status
        fail!("server child exited #{status.exitstatus}") unless status.success?
        break
      end
      fail!("server child did not exit") if wall > deadline
      sleep 0.01
    end
  end
  port = read_child.call("port")
  sessions = []
  ctx = client_context(sessions)
  checked = false
  connect = lambda do |session = nil|
    s = Socket.tcp("127.0.0.1", port, connect_timeout: IO_TIMEOUT)
    nodelay(s)
    ssl = OpenSSL::SSL::SSLSocket.new(s, ctx)
    ssl.sync_close = true
    ssl.hostname = "localhost"
    ssl.session = session if session
    nb(ssl, "client handshake") { ssl.connect_nonblock(exception: false) }
    unless checked
      fail!("negotiated #{ssl.ssl_version} #{ssl.cipher[0]}") unless ssl.ssl_version == "TLSv1.3" && ssl.cipher[0] == SUITE
      checked = true
    end
    ssl
  end
  exchange = lambda do |session = nil, keep = false|
    ssl = connect.call(session)
    write_all(ssl, "p", "write")
    fail!("EOF instead of the answer") if read_some(ssl, "read answer").nil?
    fail!("handshake did not resume") if session && !ssl.session_reused?
    next ssl if keep
    ssl.close
    nil
  end

  case w[:kind]
  when "bulk"
    ssl = connect.call
    chunk = ("x" * CHUNK).b
    w0 = wall
    c0 = cpu
    sent = 0
    while sent < w[:bytes]
      write_all(ssl, chunk, "bulk write")
      sent += CHUNK
    end
    fail!("bulk: EOF instead of the answer") if read_some(ssl, "bulk answer").nil?
    wt = wall - w0
    ct = cpu - c0
    ssl.close
    rep = read_child.call("report")
    finish.call
    rate(sent, wt, ct, rep["cpu_s"])
  when "mem"
    base = mem
    conns = Array.new(w[:count]) { exchange.call(nil, true) }
    heap, rss = mem
    rep = read_child.call("report")
    conns.each(&:close)
    finish.call
    n = w[:count].to_f
    { client_bytes: heap && base[0] ? (heap - base[0]) / n : nil,
      server_bytes: rep["heap_bytes"] && rep["heap_bytes"] / n,
      client_rss_bytes: (rss - base[1]) / n, server_rss_bytes: rep["rss_bytes"] / n }
  else
    session = nil
    if w[:kind] == "resume"
      exchange.call
      session = sessions.last or fail!("no session from the priming connection")
    end
    w0 = wall
    c0 = cpu
    w[:count].times { exchange.call(session && (sessions.last || session)) }
    wt = wall - w0
    ct = cpu - c0
    rep = read_child.call("report")
    finish.call
    rate(w[:count], wt, ct, rep["cpu_s"])
  end
end

def rate(units, wall_s, ccpu, scpu)
  { units: units, wall_s: wall_s, cpu_s: ccpu + scpu, client_cpu_s: ccpu, server_cpu_s: scpu }
end

w = parse(ARGV)
Thread.new do
  sleep WATCHDOG
  fail!("watchdog")
end
$stdout.write(JSON.generate(client(w)) + "\n")
$stdout.flush
