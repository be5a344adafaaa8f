# frozen_string_literal: true

# Node's tls.createServer example in Ruby: an echo server that asks for a
# client certificate.
#
#   TLSPLUG_PKI=DIR ruby echo_server.rb [PORT]     (PORT 8000; 0: ephemeral)
#
# Node's version:
#   const server = tls.createServer(options, (socket) => {
#     console.log('server connected', socket.authorized ? 'authorized' : 'unauthorized');
#     socket.write('welcome!\n');
#     socket.setEncoding('utf8');
#     socket.pipe(socket);
#   });
#   server.listen(8000, () => { console.log('server bound'); });
$LOAD_PATH.unshift File.expand_path("../../bindings/ruby/lib", __dir__)
require "tlsplug"

pki = ENV.fetch("TLSPLUG_PKI", File.join(__dir__, "pki"))
options = {
  key: File.read(File.join(pki, "server.key")),
  cert: File.read(File.join(pki, "server-chain.pem")),
  # This is necessary only if using client certificate authentication.
  request_cert: true,
  # This is necessary only if the client uses a self-signed certificate.
  ca: [File.read(File.join(pki, "ca.pem"))]
}

server = Tlsplug.create_server(options) do |socket|
  puts "server connected #{socket.authorized ? 'authorized' : 'unauthorized'}"
  $stdout.flush
  socket.write("welcome!\n")
  socket.on("data") { |data| socket.write(data) } # socket.pipe(socket)
  socket.on("end") { socket.end }
end
server.listen(Integer(ARGV[0] || 8000), "127.0.0.1") do
  puts "server bound #{server.address['port']}"
  $stdout.flush
end
Tlsplug.run
