# frozen_string_literal: true

require "resolv"

module Tlsplug
  # Node's runtime deprecations through Ruby's own channel: Kernel#warn
  # with category: :deprecated, shown when Warning[:deprecated] is on
  # (ruby -W:deprecated), the message led by Node's code as Node prints it.
  module Deprecation
    IP_SERVERNAME = "Setting the TLS ServerName to an IP address is not permitted by RFC 6066. " \
                    "This will be ignored in a future version."
    @warned = {}

    # DEP0123: an IP address as servername. Once per process, as Node.
    def self.ip_servername(name)
      return if @warned["DEP0123"] || !name.is_a?(String) || !Resolv::AddressRegex.match?(name)

      @warned["DEP0123"] = true
      Kernel.warn("[DEP0123] DeprecationWarning: #{IP_SERVERNAME}", category: :deprecated, uplevel: 2)
    end
  end
end
