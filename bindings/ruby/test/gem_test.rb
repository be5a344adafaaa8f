# frozen_string_literal: true

require_relative "test_helper"
require "fileutils"
require "open3"
require "rubygems/package"
require "tmpdir"

# The gem as users get it: `gem build` offline from a copy of the tree,
# `gem install --local` into a temporary GEM_HOME, and a program that
# requires it (no -I) and runs a TLS exchange, finding libtlsplug through
# TLSPLUG_LIBRARY, or shipped in the gem.
class GemTest < Minitest::Test
  include TestHelper

  SOURCE = File.expand_path("..", __dir__)

  # A server thread on Tlsplug::SSLServer and a Tlsplug::SSLSocket client;
  # prints the version, where tlsplug was loaded from, the library and
  # what the server answered.
  PROGRAM = <<~'RB'
    require "tlsplug"
    pki = ENV.fetch("TLSPLUG_PKI")
    server = Tlsplug::SSLServer.new(TCPServer.new("127.0.0.1", 0), key: File.read(File.join(pki, "server.key")),
                                                                   cert: File.read(File.join(pki, "server-chain.pem")))
    t = Thread.new { s = server.accept; s.puts("served #{s.gets.chomp} over #{s.ssl_version}"); s.close }
    c = Tlsplug::SSLSocket.open("localhost", server.addr[1], ca: File.read(File.join(pki, "ca.pem")))
    c.puts "gem"
    answer = c.gets.chomp
    c.close
    t.join
    puts Tlsplug::VERSION, $LOADED_FEATURES.grep(%r{/tlsplug\.rb\z}).first, Tlsplug::ABI.lib.path, answer
  RB

  def setup
    @tmp = Dir.mktmpdir("tlsplug-gem")
  end

  def teardown
    FileUtils.remove_entry(@tmp)
  end

  def run!(env, *cmd, chdir: @tmp)
    out, err, status = Timeout.timeout(90) { Open3.capture3(env, *cmd, chdir: chdir, stdin_data: "") }
    assert status.success?, "#{cmd.join(' ')}: #{err}#{out}"
    out
  end

  # Build the gem from a copy of the tree (+bundle+: with the library
  # copied in) and install it into a fresh GEM_HOME; answers [gem file, home].
  def build_and_install(bundle:)
    src = File.join(@tmp, "src")
    FileUtils.mkdir_p(src)
    FileUtils.cp_r(%w[lib README.md tlsplug.gemspec].map { |f| File.join(SOURCE, f) }, src)
    FileUtils.rm_f(File.join(src, "lib/tlsplug/libtlsplug.so.1"))
    FileUtils.cp(ENV.fetch("TLSPLUG_LIBRARY"), File.join(src, "lib/tlsplug/libtlsplug.so.1")) if bundle
    clean = { "GEM_HOME" => File.join(@tmp, "build-home"), "GEM_PATH" => File.join(@tmp, "build-home") }
    run!(clean, "gem", "build", "tlsplug.gemspec", chdir: src)
    gem = File.join(src, "tlsplug-#{Tlsplug::VERSION}.gem")
    assert File.file?(gem), "gem build made #{Dir.children(src)}"
    home = File.join(@tmp, "home")
    run!({ "GEM_HOME" => home, "GEM_PATH" => home }, "gem", "install", "--local", "--no-document",
         "--install-dir", home, gem)
    [gem, home]
  end

  # Run PROGRAM with only the installed gem (no -I, no RUBYLIB).
  def run_program(home, env)
    base = { "GEM_HOME" => home, "GEM_PATH" => home, "RUBYLIB" => nil, "RUBYOPT" => nil,
             "TLSPLUG_PKI" => PKI, "LD_LIBRARY_PATH" => nil }
    run!(base.merge(env), "ruby", "-e", PROGRAM).lines.map(&:chomp)
  end

  def test_gem_builds_installs_and_runs_with_tlsplug_library
    gem, home = build_and_install(bundle: false)
    spec = Gem::Package.new(gem).spec
    assert_equal "tlsplug", spec.name
    assert_equal Tlsplug::VERSION, spec.version.to_s
    assert_equal Tlsplug.version[/\d+\.\d+\.\d+/], spec.version.to_s, "the gem follows the library's version"
    assert_equal ["MIT"], spec.licenses
    refute spec.required_ruby_version.satisfied_by?(Gem::Version.new("2.7"))
    assert spec.metadata["documentation_uri"]
    in_tree = Dir.chdir(SOURCE) { Dir["lib/**/*.rb"] }
    assert_equal [], in_tree - spec.files, "every library file is in the gem"
    refute_includes spec.files, "lib/tlsplug/libtlsplug.so.1"
    version, loaded, library, answer = run_program(home, "TLSPLUG_LIBRARY" => ENV.fetch("TLSPLUG_LIBRARY"))
    assert_equal Tlsplug::VERSION, version
    assert loaded.start_with?(home), "tlsplug.rb from the gem, not #{loaded}"
    assert_equal ENV.fetch("TLSPLUG_LIBRARY"), library
    assert_equal "served gem over TLSv1.3", answer
  end

  def test_gem_with_the_library_inside_needs_no_path
    gem, home = build_and_install(bundle: true)
    assert_includes Gem::Package.new(gem).spec.files, "lib/tlsplug/libtlsplug.so.1"
    _version, loaded, library, answer = run_program(home, "TLSPLUG_LIBRARY" => nil)
    assert loaded.start_with?(home)
    assert library.start_with?(home), "the library shipped in the gem, not #{library}"
    assert_equal "served gem over TLSv1.3", answer
  end
end
