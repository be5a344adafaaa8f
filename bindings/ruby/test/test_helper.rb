# frozen_string_literal: true

# Shared by the Ruby binding's tests: certificates from $TLSPLUG_PKI, a
# bounded loop runner, node helpers. Everything on 127.0.0.1, ephemeral ports.
require "minitest/autorun"
require "json"
require "open3"
require "timeout"
require "tlsplug"

module TestHelper
  PKI = ENV.fetch("TLSPLUG_PKI") { abort "TLSPLUG_PKI is not set" }
  NODE = ENV["TLSPLUG_NODE"] || %w[node nodejs].map { |n| ENV["PATH"].split(":").map { |d| File.join(d, n) } }
                                               .flatten.find { |p| File.executable?(p) }

  def pem(name)
    File.binread(File.join(PKI, name))
  end

  def pki_path(name)
    File.join(PKI, name)
  end

  def server_opts
    { key: pem("server.key"), cert: pem("server-chain.pem") }
  end

  def client_opts
    { ca: [pem("ca.pem")], servername: "localhost" }
  end

  # Run the thread's loop until the block holds; fail after +timeout+ s.
  def run_until(what = "condition", timeout: 10, &cond)
    Tlsplug.run(timeout: timeout, &cond)
    assert cond.call, "#{what}: not within #{timeout} s"
  end

  # Move ciphertext between two pump-mode sockets until both are quiet.
  def shuttle(a, b, rounds: 50)
    rounds.times do
      x = a.pull
      b.feed(x) unless x.empty?
      y = b.pull
      a.feed(y) unless y.empty?
      return if x.empty? && y.empty?
    end
  end

  # A listening tlsplug server; answers [server, port].
  def listen(server)
    server.listen(0, "127.0.0.1")
    run_until("listening") { server.address }
    [server, server.address["port"]]
  end

  def need_node
    skip "node not found" unless NODE
  end

  # Spawn node with +script+; answers [pid, stdout IO].
  def spawn_node(script, env = {})
    r, w = IO.pipe
    pid = Process.spawn(env.merge("PKI" => PKI), NODE, "-e", script, out: w, err: $stderr, in: :close)
    w.close
    @children ||= []
    @children << pid
    [pid, r]
  end

  # The port a node +script+ prints on its first line (reaped at teardown).
  def node_listening(script, env = {})
    _pid, out = spawn_node(script, env)
    Integer(read_line(out))
  end

  # A live oracle: +js+ runs in node with tls, fs and P (the PKI path) and
  # calls done(value); answers String(value) (bounded: 'TIMEOUT' after 8 s).
  def node_done(js)
    script = "const tls=require('tls'),fs=require('fs'),P=process.argv[1];" \
             "function done(c){console.log(JSON.stringify(String(c)));process.exit(0)}" \
             "setTimeout(()=>done('TIMEOUT'),8000);#{js}"
    out = Timeout.timeout(20) { Open3.capture2(NODE, "-e", script, PKI, stdin_data: "")[0] }
    JSON.parse(out.lines.last)
  end

  def read_line(io, timeout: 10)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    buf = +""
    until buf.include?("\n")
      left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
      flunk "no line from the child within #{timeout} s (got #{buf.inspect})" if left <= 0
      next unless IO.select([io], nil, nil, left)
      chunk = io.read_nonblock(4096, exception: false)
      break if chunk.nil?
      buf << chunk unless chunk == :wait_readable
    end
    buf.lines.first.to_s.chomp
  end

  def reap_children
    (@children || []).each do |pid|
      Process.kill("KILL", pid)
    rescue Errno::ESRCH
      nil
    ensure
      begin
        Process.wait(pid)
      rescue Errno::ECHILD
        nil
      end
    end
    @children = []
  end
end
