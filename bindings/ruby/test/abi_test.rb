# frozen_string_literal: true

require_relative "test_helper"

# The generated layer: constants, every function bound, the version check.
class AbiTest < Minitest::Test
  def test_generated_banner_and_constants
    src = File.read(File.expand_path("../lib/tlsplug/abi.rb", __dir__))
    assert_match(/GENERATED/, src.lines.first(3).join)
    assert_equal 1, Tlsplug::ABI::EV_SECURE_CONNECT
    assert_equal "secureConnect", Tlsplug::ABI::EVENT_NODE_NAMES[Tlsplug::ABI::EV_SECURE_CONNECT]
    assert_equal "E_BADHANDLE", Tlsplug::ABI::STATUS_NAMES[Tlsplug::ABI::E_BADHANDLE]
    assert_equal 2048, Tlsplug::ABI::STATE_NEED_DRAIN
  end

  def test_every_function_is_bound
    lib = Tlsplug::ABI.lib
    Tlsplug::ABI::FUNCTIONS.each_key do |name|
      refute_nil lib.function(name), name
      assert lib.respond_to?(name.delete_prefix("tlsplug_")), name
    end
    assert_operator lib.abi_version, :>=, Tlsplug::ABI::ABI_VERSION
  end

  def test_older_library_is_refused
    path = ENV.fetch("TLSPLUG_LIBRARY")
    err = assert_raises(Tlsplug::ABI::AbiVersionError) { Tlsplug::ABI.open(path, expected: 999) }
    assert_match(/older than the version 999/, err.message)
    assert_match(/TLSPLUG_LIBRARY/, err.message)
  end

  def test_missing_library_message
    out = IO.popen({ "TLSPLUG_LIBRARY" => "/nonexistent/libtlsplug.so.1" },
                   [RbConfig.ruby, "-I#{File.expand_path('../lib', __dir__)}", "-e", 'require "tlsplug"'],
                   err: %i[child out], &:read)
    refute $?.success?
    assert_match(/nonexistent/, out)
  end

  def test_bad_handles_answer_status
    lib = Tlsplug::ABI.lib
    assert_equal Tlsplug::ABI::E_BADHANDLE, lib.socket_start(nil)
    assert_equal Tlsplug::ABI::E_BADHANDLE, lib.socket_start(12_345)
    assert_equal Tlsplug::ABI::OK, lib.socket_free(nil)
  end
end
