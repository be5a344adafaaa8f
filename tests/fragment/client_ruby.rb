# frozen_string_literal: true

# The Ruby binding's client for fragment.py: Tlsplug.connect to 127.0.0.1,
# write one line once secure, read until the expected reply is in, end,
# wait for 'close'. Options come as one JSON argument (see fragment.py);
# one JSON line reports what happened. Every wait is bounded by the
# options' timeout.
require "json"
require "tlsplug"

o = JSON.parse(ARGV.fetch(0))
opts = { ca: [File.binread(o["ca"])], servername: o["servername"] }
if o["cert"]
  opts[:cert] = File.binread(o["cert"])
  opts[:key] = File.binread(o["key"])
end
r = { "secure" => false, "authorized" => nil, "authorizationError" => nil, "protocol" => nil,
      "got" => "", "error" => nil, "closed" => false }
got = "".b
expect = o["expect"].b
start = Process.clock_gettime(Process::CLOCK_MONOTONIC)

c = Tlsplug.connect(o["port"], "127.0.0.1", **opts) do
  r["secure"] = true
  r["handshakeMs"] = ((Process.clock_gettime(Process::CLOCK_MONOTONIC) - start) * 1000).round
  r["authorized"] = c.authorized
  r["authorizationError"] = c.authorization_error
  r["protocol"] = c.get_protocol
  c.write(o["line"])
end
c.on("data") do |d|
  got << d
  c.end if got.include?(expect)
end
c.on("error") { |e| r["error"] ||= "#{e.class}: #{e.message}" }
c.on("close") { r["closed"] = true }
Tlsplug.run(timeout: o["timeout"]) { r["closed"] }
unless r["closed"]
  r["error"] ||= "timeout: #{r['secure'] ? 'no reply' : 'handshake not done'} after #{o['timeout']} s"
  c.destroy
  Tlsplug.run(timeout: 1) { r["closed"] }
end
r["got"] = got.force_encoding("UTF-8").scrub
puts JSON.generate(r)
$stdout.flush
