# frozen_string_literal: true

require "base64"

module Tlsplug
  # Node's crypto.X509Certificate for a TLS connection's certificates
  # (TLSSocket#get_x509_certificate, #get_peer_x509_certificate), or made
  # from PEM or DER. Fields come from the library's certificate object (the
  # one behind get_peer_certificate); the checks are GnuTLS's, through the
  # C ABI. Names are Node's in snake_case.
  class X509Certificate
    PEM = /-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----/m.freeze

    attr_reader :raw
    # The issuer the peer presented in its chain, else nil.
    attr_accessor :issuer_certificate

    def initialize(data)
      b = data.to_s.b
      m = PEM.match(b)
      @raw = m ? Base64.decode64(m[1]) : b
      @obj = Tlsplug.cert_from_json(Util.get_str(:cert_to_json, @raw, @raw.bytesize,
                                                 what: "X509Certificate", size: 8192))
      @issuer_certificate = nil
    end

    def self.dn(obj)
      (obj || {}).flat_map { |k, v| Array(v).map { |one| "#{k}=#{one}" } }.join("\n")
    end

    def subject = X509Certificate.dn(@obj["subject"])
    def issuer = X509Certificate.dn(@obj["issuer"])
    def subject_alt_name = @obj["subjectaltname"]
    def serial_number = @obj["serialNumber"]
    def valid_from = @obj["valid_from"]
    def valid_to = @obj["valid_to"]
    def fingerprint = @obj["fingerprint"]
    def fingerprint256 = @obj["fingerprint256"]
    def fingerprint512 = @obj["fingerprint512"]
    def ca = @obj["ca"] ? true : false
    def key_usage = @obj["ext_key_usage"]
    def to_legacy_object = @obj.dup

    # {"asymmetric_key_type" => "rsa" | "ec", and its size or curve}.
    def public_key
      if @obj.key?("modulus")
        { "asymmetric_key_type" => "rsa", "modulus_length" => @obj["bits"],
          "public_exponent" => @obj["exponent"].to_i(16) }
      elsif @obj.key?("asn1Curve")
        { "asymmetric_key_type" => "ec", "named_curve" => @obj["asn1Curve"] }
      else
        { "asymmetric_key_type" => nil }
      end
    end

    def to_s
      "-----BEGIN CERTIFICATE-----\n#{Base64.strict_encode64(@raw).scan(/.{1,64}/).join("\n")}\n" \
        "-----END CERTIFICATE-----\n"
    end

    def ==(other)
      other.is_a?(X509Certificate) && other.raw == @raw
    end
    alias eql? ==

    def hash = @raw.hash

    # The certificate's name that +name+ matches (the entry, as Node), or nil.
    def check_host(name)
      return nil unless check(ABI::X509_CHECK_HOST, name)

      dns = (subject_alt_name || "").split(", ").select { |e| e.start_with?("DNS:") }.map { |e| e[4..] }
      low = name.downcase
      dns.each do |entry|
        e = entry.downcase
        return entry if e == low || (e.start_with?("*.") && low.partition(".")[2] == e[2..])
      end
      dns.empty? ? (@obj.dig("subject", "CN") || name) : name
    end

    def check_email(email) = check(ABI::X509_CHECK_EMAIL, email) ? email : nil
    def check_ip(ip) = check(ABI::X509_CHECK_IP, ip) ? ip : nil

    # Whether +other+ issued this certificate (by name, as Node).
    def check_issued(other)
      out = Util.out(4)
      Util.check(ABI.lib.x509_check_issued(@raw, @raw.bytesize, other.raw, other.raw.bytesize, out),
                 nil, "checkIssued")
      Util.out_int(out) == 1
    end

    # Whether the signature verifies with +key+: an X509Certificate's key,
    # or a public key (SubjectPublicKeyInfo) or certificate in PEM or DER.
    def verify(key)
      k = key.is_a?(X509Certificate) ? key.raw : key.to_s.b
      out = Util.out(4)
      Util.check(ABI.lib.x509_verify(@raw, @raw.bytesize, k, k.bytesize, out), nil, "verify")
      Util.out_int(out) == 1
    end

    def inspect = "#<Tlsplug::X509Certificate #{subject.inspect} serial #{serial_number}>"

    private

    def check(kind, value)
      out = Util.out(4)
      Util.check(ABI.lib.x509_check(@raw, @raw.bytesize, kind, Util.cname(value, "name"), out), nil,
                 "X509Certificate check")
      Util.out_int(out) == 1
    end
  end
end
