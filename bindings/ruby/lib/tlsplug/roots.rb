# frozen_string_literal: true

module Tlsplug
  ROOT_PEM = /-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----/m.freeze
  private_constant :ROOT_PEM

  # Node's tls.rootCertificates: the PEMs a context without +ca+ trusts
  # (the system's trust store), a frozen Array of frozen Strings, read once
  # and the same object on every call.
  def self.root_certificates
    @root_certificates ||= begin
      text = Util.get_str(:root_certificates, what: "rootCertificates", size: 1 << 18) || ""
      text.scan(ROOT_PEM).map(&:freeze).freeze
    end
  end
end
