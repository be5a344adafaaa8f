# frozen_string_literal: true

require_relative "abi"

module Tlsplug
  # The gem's version: the library's, as the registry (abi/tlsplug.toml)
  # states it and abi/gen.py writes it into ABI::VERSION. A library older
  # than the binding's ABI is refused at load (ABI.open).
  VERSION = ABI::VERSION
end
