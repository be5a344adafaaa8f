# The server under test on the Ruby binding's loop: Node's tls.createServer
# (Tlsplug.create_server) with the test PKI's certificate, on 127.0.0.1 and
# an ephemeral port. Prints "listening on 127.0.0.1:PORT" once bound (the
# test waits for that line), echoes what a client sends after the
# handshake, reports refused clients on stderr. The test kills it; the loop
# also ends by itself after LIFETIME seconds so an orphan cannot linger.
require "tlsplug"

LIFETIME = 600
$stdout.sync = true
$stderr.sync = true

pki = ENV.fetch("TLSPLUG_PKI")
server = Tlsplug.create_server(key: File.read(File.join(pki, "server.key")),
                               cert: File.read(File.join(pki, "server-chain.pem"))) do |socket|
  socket.on("data") { |data| socket.write(data) }
  socket.on("error") { |_err| nil }
end
server.on("tlsClientError") do |err, _socket|
  warn "tlsClientError #{err.respond_to?(:code) ? err.code : err}"
end
server.listen(0, "127.0.0.1") { puts "listening on 127.0.0.1:#{server.address['port']}" }
Tlsplug.run(timeout: LIFETIME)
