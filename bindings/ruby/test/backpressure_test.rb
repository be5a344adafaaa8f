# frozen_string_literal: true

require_relative "test_helper"
require "digest"

# Reading back-pressure, as Node's paused stream: a socket on the loop with
# no 'data' listener buffers about readableHighWaterMark of cleartext, then
# stops reading the TCP socket, so a fast peer is held back by TCP instead of
# filling the process's memory. Nothing is lost: #read or a 'data' listener
# added later gets every byte, in order, and 'end' after the last one.
class BackpressureTest < Minitest::Test
  include TestHelper

  TOTAL = 32 << 20      # what the peer wants to send (well over what TCP buffers)
  CHUNK = 64 << 10      # the peer's write size
  BOUND = 8 << 20       # what the reader may grow its RSS by
  STALL_TURNS = 25      # ticks with no progress that mean "TCP holds the sender"
  TICK_MS = 4
  PAGE = 4096

  def rss
    File.read("/proc/self/statm").split[1].to_i * PAGE
  end

  # The server side: writes TOTAL bytes of a seeded stream as fast as its
  # socket takes them (write until it answers false, then 'drain'), then
  # end. +sent+ counts the bytes the socket took; +digest+ their hash.
  class Sender
    attr_reader :sent, :digest

    def initialize(sock)
      @sock = sock
      @sent = 0
      @rng = Random.new(20_240_611)
      @digest = Digest::SHA256.new
      sock.on("drain") { pump }
      sock.on("error") { |_e| nil } # a failure shows as a missing byte
      pump
    end

    def pump
      while @sent < TOTAL
        chunk = @rng.bytes([CHUNK, TOTAL - @sent].min)
        @digest << chunk
        @sent += chunk.bytesize
        return unless @sock.write(chunk)
      end
      @sock.end
    end
  end

  def setup
    @senders = []
    @server = Tlsplug.create_server(**server_opts) { |s| @senders << Sender.new(s) }
    _, port = listen(@server)
    @client = Tlsplug.connect(port, "127.0.0.1", **client_opts)
    @client.on("error") { |e| flunk "client error: #{e.inspect}" }
    @received = 0
    @digest = Digest::SHA256.new
    @ended_at = nil
    @closed = false
    @client.on("end") { @ended_at = @received }
    @client.on("close") { @closed = true }
    run_until("handshake") { !@senders.empty? && @client.secure? }
    @sender = @senders.first
  end

  def teardown
    l = Tlsplug.default_loop
    l.close if l.alive?
  end

  # Drive the loop until the sender's own count stops moving for
  # STALL_TURNS ticks in a row (TCP holds it), or it sent everything.
  def wait_for_stall
    last = -1
    same = 0
    ticker = Tlsplug.set_interval(TICK_MS) do
      if @sender.sent == last
        same += 1
      else
        last = @sender.sent
        same = 0
      end
    end
    run_until("the sender stalls or finishes", timeout: 30) { same >= STALL_TURNS || @sender.sent >= TOTAL }
  ensure
    Tlsplug.clear_timeout(ticker)
  end

  def consume(data)
    @digest << data
    @received += data.bytesize
  end

  def check_bounded(rss0)
    # Before reading anything: the peer is held back by TCP...
    assert_operator @sender.sent, :<, TOTAL, "the sender was never back-pressured: the reader took everything"
    # ...and the reader holds about the high-water mark, not the stream.
    assert_operator @client.readable_length, :<=, @client.readable_high_water_mark + CHUNK
    assert_operator rss - rss0, :<, BOUND, "RSS grew with the unread stream"
    assert_nil @ended_at
  end

  def check_all_arrived
    assert_equal TOTAL, @sender.sent
    assert_equal TOTAL, @received
    assert_equal @sender.digest.hexdigest, @digest.hexdigest, "bytes lost or reordered"
    assert_equal TOTAL, @ended_at, "'end' must follow the last byte"
    run_until("close") { @closed }
    @server.close
    Tlsplug.run(timeout: 5)
  end

  def test_no_data_listener_holds_back_the_peer_then_read_gets_everything
    rss0 = rss
    wait_for_stall
    check_bounded(rss0)
    drain = proc do
      while (data = @client.read)
        consume(data)
      end
    end
    @client.on("readable", &drain)
    drain.call
    run_until("'end'", timeout: 30) { @ended_at }
    assert_nil @client.read
    check_all_arrived
  end

  def test_data_listener_added_later_resumes_the_stream
    rss0 = rss
    wait_for_stall
    check_bounded(rss0)
    @client.on("data") { |d| consume(d) }
    run_until("'end'", timeout: 30) { @ended_at }
    assert_equal 0, @client.readable_length
    check_all_arrived
  end
end
