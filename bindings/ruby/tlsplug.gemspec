# frozen_string_literal: true

# The tlsplug gem: the Ruby binding as it is (pure Ruby over Fiddle; no
# compiler, no dependency), built offline with `gem build tlsplug.gemspec`
# in bindings/ruby. Its version is the library's (Tlsplug::VERSION, from the
# registry). The gem does not build libtlsplug: at `require "tlsplug"` it
# loads $TLSPLUG_LIBRARY, else a lib/tlsplug/libtlsplug.so.1 shipped in the
# gem (copy the built library there before `gem build` to bundle it), else
# libtlsplug.so.1 from the system (cmake --install, or the libtlsplug1
# Debian package).
require_relative "lib/tlsplug/version"

Gem::Specification.new do |s|
  s.name = "tlsplug"
  s.version = Tlsplug::VERSION
  s.summary = "Node.js's tls module for Ruby, on libtlsplug (GnuTLS)"
  s.description = "Node's TLS semantics (tls.connect, createServer, SecureContext, sessions, ALPN, SNI, " \
                  "OCSP) in Ruby through Fiddle, plus IO-like blocking sockets (Tlsplug::SSLSocket, " \
                  "SSLServer) and Net::HTTP over tlsplug (Tlsplug::NetHTTP)."
  s.authors = ["the tlsplug authors"]
  s.license = "MIT"
  s.homepage = "https://nodejs.org/api/tls.html"
  s.required_ruby_version = ">= 3.1"
  s.metadata = {
    "homepage_uri" => "https://nodejs.org/api/tls.html",
    "documentation_uri" => "https://nodejs.org/api/tls.html",
    "rubygems_mfa_required" => "true"
  }
  # The files from the tree: every library file, the README, and a bundled
  # libtlsplug.so.1 when one was copied in.
  s.files = Dir.chdir(__dir__) do
    Dir["lib/**/*.rb", "lib/tlsplug/libtlsplug.so.1", "README.md", "tlsplug.gemspec"].sort
  end
  s.require_paths = ["lib"]
end
