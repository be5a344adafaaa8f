# frozen_string_literal: true

# Node's tls.connect example in Ruby: the client of echo_server.rb, with a
# client certificate. It sends its standard input (or MESSAGE), prints what
# comes back, and ends once the echo of everything it sent arrived.
#
#   TLSPLUG_PKI=DIR ruby echo_client.rb [PORT [MESSAGE]]
#
# Node's version:
#   const socket = tls.connect(8000, options, () => {
#     console.log('client connected', socket.authorized ? 'authorized' : 'unauthorized');
#     process.stdin.pipe(socket);
#     process.stdin.resume();
#   });
#   socket.setEncoding('utf8');
#   socket.on('data', (data) => { console.log(data); });
#   socket.on('end', () => { server.close(); });
$LOAD_PATH.unshift File.expand_path("../../bindings/ruby/lib", __dir__)
require "tlsplug"

pki = ENV.fetch("TLSPLUG_PKI", File.join(__dir__, "pki"))
options = {
  # Necessary only if the server requires client certificate authentication.
  key: File.read(File.join(pki, "client.key")),
  cert: File.read(File.join(pki, "client-chain.pem")),
  # Necessary only if the server uses a self-signed certificate.
  ca: [File.read(File.join(pki, "ca.pem"))],
  servername: "localhost"
}
message = ARGV[1] || $stdin.read
expected = "welcome!\n#{message}"
received = +""

socket = Tlsplug.connect(Integer(ARGV[0] || 8000), "127.0.0.1", **options) do
  puts "client connected #{socket.authorized ? 'authorized' : 'unauthorized'}"
  socket.write(message)
end
socket.on("data") do |data|
  print data
  received << data
  socket.end if received.bytesize >= expected.bytesize
end
socket.on("error") { |err| warn "error: #{err.message} (#{err.code})"; exit 1 }
socket.on("end") { puts "\nserver ended" }
Tlsplug.run(timeout: 30)
