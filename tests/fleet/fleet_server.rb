# A Ruby tlsplug server for the fleet tests, as fleet_server.py: prints
# "listening on 127.0.0.1:PORT"; "connection resumed=yes|no" on stderr.
require "optparse"
require "tlsplug"

o = {}
OptionParser.new do |p|
  p.on("--cert F") { |v| o[:cert] = v }
  p.on("--key F") { |v| o[:key] = v }
  p.on("--session-store URL") { |v| o[:store] = v }
  p.on("--ticket-keys F") { |v| o[:keys] = v }
  p.on("--session-timeout S", Integer) { |v| o[:timeout] = v }
end.parse!

opts = { cert: File.binread(o[:cert]), key: File.binread(o[:key]) }
opts[:session_store] = o[:store] if o[:store]
# A file's bytes, or a redis:// source the library reads itself.
opts[:ticket_keys] = o[:keys].start_with?("redis") ? o[:keys] : File.binread(o[:keys]) if o[:keys]
opts[:session_timeout] = o[:timeout] if o[:timeout]

server = Tlsplug.create_server(opts) do |sock|
  $stderr.puts "connection resumed=#{sock.session_reused? ? 'yes' : 'no'}"
  $stderr.flush
  sock.write("welcome!\n")
  sock.on("data") { |d| sock.write(d) }
  sock.on("error") { |_e| nil } # a client that leaves abruptly
end
server.listen(0, "127.0.0.1") do
  puts "listening on 127.0.0.1:#{server.address['port']}"
  $stdout.flush
end
Tlsplug.run
