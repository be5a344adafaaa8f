# frozen_string_literal: true

# tlsplug's Ruby binding over loopback TCP, both ends on the library's libuv
# loop (Tlsplug.create_server / Tlsplug.connect driven by Tlsplug.run).
# Follows the protocol of tests/bench/README.md: the server is a forked
# child (its own tlsplug loop; the port and its report come back on a pipe,
# it exits when the parent closes the other pipe), the client is this
# process; each reads CLOCK_PROCESS_CPUTIME_ID around its own timed section
# and the last line reports the sum.
#
#   ruby bench_rbtlsplug.rb bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT
#
# The binding is loaded from bindings/ruby/lib of this tree; the library is
# $TLSPLUG_LIBRARY (else libtlsplug.so.1 on the system path). Settings as
# every TCP system: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519; the client
# verifies ca.pem for servername "localhost". The exchange is bench_loop.c's
# in Node's API: write 1 byte on 'secureConnect', the server echoes 1 byte,
# the client end()s and waits for 'close'. resume offers the blob of the
# priming connection's 'session' event (session:) and checks
# session_reused?; every connection but mem's listens to 'session' (mem's
# idle connections keep no blob, as bench_loop.c's). mem: *_bytes is the
# malloc heap in use (mallinfo2 uordblks + hblkhd: Ruby's heap pages and
# object buffers, libtlsplug and GnuTLS all allocate there), after GC.start;
# GC.stat's live slots go to stderr; *_rss_bytes from /proc/self/statm.
require "json"
require "fiddle"

$LOAD_PATH.unshift File.expand_path("../../bindings/ruby/lib", __dir__)

IO_TIMEOUT = 30
WATCHDOG = 600
CHUNK = 16_384
SUITE = "TLS_AES_128_GCM_SHA256"

def fail!(msg)
  $stderr.write("bench_rbtlsplug[#{Process.pid}]: #{msg}\n")
  $stderr.flush
  exit!(1) # also from inside a loop callback
end

def parse(argv)
  case argv[0]
  when "bulk" then { kind: "bulk", bytes: Float(argv[1]).to_i }
  when "full" then { kind: "full", rsa: argv[1] == "rsa", count: Integer(argv[2]) }
  when "resume", "mem" then { kind: argv[0], count: Integer(argv[1]) }
  else raise ArgumentError
  end
rescue ArgumentError, TypeError
  fail!("usage: bench_rbtlsplug.rb bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT")
end

def pki(name)
  dir = ENV["TLSPLUG_PKI"] or fail!("TLSPLUG_PKI is not set")
  File.binread(File.join(dir, name))
end

def cpu
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

def wall
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

LIBC = Fiddle.dlopen(nil)
MALLINFO2 = begin
  LIBC["mallinfo2"] && true
rescue Fiddle::DLError
  false
end

# (heap, rss) in bytes after a GC: malloc heap in use and resident set.
def mem
  GC.start(full_mark: true, immediate_sweep: true)
  heap = MALLINFO2 ? mallinfo2_heap : nil
  rss = File.read("/proc/self/statm").split[1].to_i * 4096
  $stderr.write("bench_rbtlsplug[#{Process.pid}]: GC live slots #{GC.stat(:heap_live_slots)}\n")
  [heap, rss]
end

# mallinfo2 returns a 80-byte struct (by hidden pointer, SysV x86-64 and
# aarch64 alike); Fiddle cannot declare that, so take the hidden-pointer
# form: the first argument is where the struct goes, the result is it.
def mallinfo2_heap
  @mi ||= Fiddle::Function.new(LIBC["mallinfo2"], [Fiddle::TYPE_VOIDP], Fiddle::TYPE_VOIDP)
  buf = ("\0" * 80).b
  @mi.call(buf)
  f = buf.unpack("J10")
  f[7] + f[4] # uordblks + hblkhd
end

def context(server, w)
  opts = { min_version: "TLSv1.3", max_version: "TLSv1.3", ciphers: SUITE, ecdh_curve: "X25519" }
  if server
    rsa = w[:rsa]
    opts[:cert] = pki(rsa ? "server-chain.pem" : "server-ec-chain.pem")
    opts[:key] = pki(rsa ? "server.key" : "server-ec.key")
  else
    opts[:ca] = [pki("ca.pem")]
  end
  Tlsplug.create_secure_context(**opts)
end

def run_until(what, timeout = IO_TIMEOUT, &pred)
  Tlsplug.run(timeout: timeout, &pred)
  fail!("#{what}: not within #{timeout} s") unless pred.call
end

# --- server child ---
def serve(w, report_w, done_r)
  sctx = context(true, w)
  kind = w[:kind]
  st = { closed: 0, established: 0, got: 0, t0: nil, done: false, report: nil }
  target = { "bulk" => 1, "resume" => w[:count].to_i + 1 }.fetch(kind, w[:count].to_i)
  base = nil
  server = Tlsplug.create_server(secure_context: sctx) do |sock|
    sock.set_no_delay(true)
    st[:t0] = cpu if kind == "bulk"
    sock.on("data") do |d|
      if kind == "bulk"
        st[:got] += d.bytesize
        if st[:got] >= w[:bytes] && st[:report].nil?
          sock.write("k")
          st[:report] = { cpu_s: cpu - st[:t0] }
        end
      else
        sock.write("k")
        if kind == "mem"
          st[:established] += 1
          if st[:established] == target
            heap, rss = mem
            st[:report] = { heap_bytes: heap && base[0] && heap - base[0], rss_bytes: rss - base[1] }
            st[:done] = true
          end
        end
      end
    end
    sock.on("close") do |*_|
      next if kind == "mem"
      st[:closed] += 1
      st[:t0] = cpu if kind == "resume" && st[:closed] == 1 # from the second connection
      if st[:closed] == target
        st[:report] = { cpu_s: cpu - (st[:t0] || st[:c0]) } unless kind == "bulk"
        st[:done] = true
      end
    end
    sock.on("error") { |e| fail!("server socket error: #{e.message}") }
  end
  server.on("tlsClientError") { |e, _s| fail!("server tlsClientError: #{e.message}") }
  server.on("error") { |e| fail!("server error: #{e.message}") }
  server.listen(0, "127.0.0.1", backlog: 1024)
  run_until("listen") { server.address }
  base = mem if kind == "mem"
  st[:c0] = cpu
  report_w.puts(JSON.generate(port: server.address["port"]))
  report_w.flush
  deadline = wall + WATCHDOG
  until st[:done]
    Tlsplug.run(timeout: 1.0) { st[:done] }
    fail!("server: watchdog") if wall > deadline
  end
  report_w.puts(JSON.generate(report: st[:report]))
  report_w.flush
  IO.select([done_r], nil, nil, WATCHDOG) # the parent closes it: exit
  exit!(0)
end

# --- client (parent) ---
class Child
  def initialize(w)
    report_r, report_w = IO.pipe
    done_r, done_w = IO.pipe
    @pid = fork do
      report_r.close
      done_w.close
      serve(w, report_w, done_r)
    end
    report_w.close
    done_r.close
    @report_r = report_r
    @done_w = done_w
  end

  def read(key)
    line = @report_r.gets if IO.select([@report_r], nil, nil, IO_TIMEOUT * 4)
    if line.nil?
      Process.kill("KILL", @pid)
      fail!("server child said nothing")
    end
    JSON.parse(line)[key]
  end

  def finish
    @done_w.close
    deadline = wall + IO_TIMEOUT
    loop do
      _, status = Process.wait2(@pid, Process::WNOHANG)
      if status
        fail!("server child exited #{status.exitstatus}") unless status.success?
        return
      end
      if wall > deadline
        Process.kill("KILL", @pid)
        fail!("server child did not exit")
      end
      sleep 0.01
    end
  end
end

def client(w)
  child = Child.new(w)
  port = child.read("port")
  cctx = context(false, w)
  checked = false
  check_suite = lambda do |s|
    next if checked
    c = s.get_cipher || {}
    fail!("negotiated #{s.get_protocol} #{c}, not TLSv1.3 #{SUITE}") unless c["standardName"] == SUITE && s.get_protocol == "TLSv1.3"
    checked = true
  end
  # Every connection listens to 'session' (as bench_loop.c and bench_rbssl.rb
  # take every ticket) but mem's, which keep none (bench_loop.c keeps none per
  # connection): the listener's blob would stay with each idle connection.
  open_conn = lambda do |st, session = nil, on_secure = nil, want_session = true|
    s = Tlsplug.connect(port, "127.0.0.1", secure_context: cctx, servername: "localhost", session: session)
    s.set_no_delay(true)
    s.on("secureConnect") do
      st[:secure] = true
      on_secure ? on_secure.call : s.write("p")
    end
    s.on("data") { |_d| st[:k] = true }
    s.on("session") { |blob| st[:session] ||= blob } if want_session
    s.on("close") { |*_| st[:closed] = true }
    s.on("error") { |e| fail!("client error: #{e.message} (#{e.code})") }
    s
  end
  exchange = lambda do |session = nil, keep = false|
    want_session = !keep
    st = {}
    s = open_conn.call(st, session, nil, want_session)
    run_until("exchange") { st[:k] }
    check_suite.call(s)
    fail!("handshake did not resume") if session && !s.session_reused?
    next [s, st] if keep
    s.end
    run_until("close") { st[:closed] }
    s.close
    [nil, st]
  end

  case w[:kind]
  when "bulk"
    chunk = ("x" * CHUNK).b
    st = { sent: 0 }
    s = nil
    pump = lambda do
      while st[:sent] < w[:bytes]
        st[:sent] += CHUNK
        break unless s.write(chunk) # 'drain' resumes
      end
    end
    start = lambda do
      st[:w0] = wall
      st[:c0] = cpu
      pump.call
    end
    s = open_conn.call(st, nil, start)
    s.on("drain") { pump.call }
    s.on("data") do |_d|
      st[:k] = true
      st[:wall] = wall - st[:w0]
      st[:cpu] = cpu - st[:c0]
    end
    deadline = wall + WATCHDOG
    last = -1
    until st[:k]
      Tlsplug.run(timeout: IO_TIMEOUT) { st[:k] || st[:sent] != last }
      fail!("bulk: no progress") if st[:sent] == last && !st[:k]
      last = st[:sent]
      fail!("bulk: watchdog") if wall > deadline
    end
    check_suite.call(s)
    s.end
    run_until("close") { st[:closed] }
    s.close
    rep = child.read("report")
    child.finish
    rate(st[:sent], st[:wall], st[:cpu], rep["cpu_s"])
  when "mem"
    base = mem
    conns = Array.new(w[:count]) { exchange.call(nil, true)[0] }
    heap, rss = mem
    rep = child.read("report")
    conns.each { |c| c.destroy; c.close }
    child.finish
    n = w[:count].to_f
    { client_bytes: heap && base[0] ? (heap - base[0]) / n : nil,
      server_bytes: rep["heap_bytes"] && rep["heap_bytes"] / n,
      client_rss_bytes: (rss - base[1]) / n, server_rss_bytes: rep["rss_bytes"] / n }
  else
    session = nil
    if w[:kind] == "resume"
      _, st = exchange.call
      session = st[:session] or fail!("no 'session' event on the priming connection")
    end
    w0 = wall
    c0 = cpu
    w[:count].times { exchange.call(session) }
    wt = wall - w0
    ct = cpu - c0
    rep = child.read("report")
    child.finish
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
require "tlsplug" # before the fork: both processes share the loaded library, each its own loop
$stdout.write(JSON.generate(client(w)) + "\n")
$stdout.flush
