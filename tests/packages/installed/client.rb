# frozen_string_literal: true

# A Ruby program as a user of the ruby-tlsplug package writes it: no
# $LOAD_PATH set up, the library from /usr/lib/ruby/vendor_ruby and
# libtlsplug from the system. Connects to PORT on 127.0.0.1 trusting CA,
# sends a line, prints what came back once the echo is complete.
# usage: ruby client.rb PORT CA
require "tlsplug"

port = Integer(ARGV[0])
line = "hello from ruby\n"
got = +""
sock = Tlsplug.connect(port, "127.0.0.1", ca: [File.binread(ARGV[1])], servername: "localhost")
sock.on(:secureConnect) { sock.write(line) }
sock.on(:data) { |d| got << d }
Tlsplug.run(timeout: 10) { got.include?(line) }
sock.end
puts "ruby: authorized=#{sock.authorized} echo=#{got.include?(line)}"
exit(got.include?(line) ? 0 : 1)
