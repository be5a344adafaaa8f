# frozen_string_literal: true

require "net/http"
require "openssl"

module Tlsplug
  # Net::HTTP with its TLS from tlsplug. The one-line change for existing
  # code is the class name:
  #
  #   Tlsplug::NetHTTP.start("example.org", 443, use_ssl: true, ca_file: "ca.pem") do |http|
  #     http.get("/")            # keep-alive, chunked bodies, POST, ... as Net::HTTP
  #   end
  #   Tlsplug::NetHTTP.get(URI("https://example.org/"))
  #
  # or, for every Net::HTTP in the process (open-uri, gems that use it):
  #
  #   Net::HTTP.prepend(Tlsplug::NetHTTP::Adapter)
  #
  # Net::HTTP's TLS settings are taken over: ca_file, ca_path, cert,
  # extra_chain_cert, key, verify_mode (VERIFY_NONE is
  # reject_unauthorized: false), verify_hostname, min_version, max_version,
  # ciphers, ssl_version, cert_store (the store verifies the peer's chain
  # right after the handshake); #tlsplug_options= adds any SSLSocket option
  # (ca: as PEM, alpn_protocols:, servername:, ...). verify_callback,
  # verify_depth and ssl_timeout have no tlsplug equivalent: setting one
  # raises Tlsplug::GeneralError (ERR_TLSPLUG_UNSUPPORTED) at connect, never
  # a silent change of trust. Failures raise tlsplug's errors, which are
  # Ruby's own kinds: OpenSSL::SSL::SSLError for TLS and verification,
  # Errno::ECONNREFUSED, ..., SocketError for a name that does not resolve.
  class NetHTTP < ::Net::HTTP
    # The connect that puts tlsplug under Net::HTTP (plain http is left to
    # Net::HTTP's own).
    module Adapter
      # Extra Tlsplug::SSLSocket options (a Hash), merged over the ones
      # taken from Net::HTTP's settings.
      attr_accessor :tlsplug_options

      # The TLS session of the open connection (a Tlsplug::SSLSocket), nil
      # when not connected over TLS.
      def tlsplug_socket
        io = @socket&.io
        io.is_a?(Tlsplug::SSLSocket) ? io : nil
      end

      private

      def connect
        return super unless use_ssl?

        conn_addr, conn_port = proxy? ? [proxy_address, proxy_port] : [conn_address, port]
        D "opening connection to #{conn_addr}:#{conn_port}..."
        begin
          s = Tlsplug::SSLSocket.tcp(conn_addr, conn_port, @local_host, @local_port, connect_timeout: @open_timeout)
        rescue Errno::ETIMEDOUT => e
          raise Net::OpenTimeout, "Failed to open TCP connection to #{conn_addr}:#{conn_port} (#{e.message})"
        rescue Tlsplug::Error => e
          raise e, "Failed to open TCP connection to #{conn_addr}:#{conn_port} (#{e.message})"
        end
        s.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
        D "opened"
        tlsplug_proxy_connect(s) if proxy?
        opts = tlsplug_ssl_options
        # Resume the last session, as Net::HTTP does with OpenSSL's.
        opts = { session: @tlsplug_session }.merge(opts) if @tlsplug_session
        ssl = Tlsplug::SSLSocket.new(s, **opts)
        ssl.sync_close = true
        ssl.hostname = @address
        D "starting SSL for #{conn_addr}:#{conn_port}..."
        begin
          ssl.connect(timeout: @open_timeout)
        rescue Errno::ETIMEDOUT => e
          raise Net::OpenTimeout, e.message
        end
        s = ssl
        ssl.tls_socket.on("session") { |session| @tlsplug_session = session }
        tlsplug_verify_by_store(ssl) if @cert_store && @verify_mode != OpenSSL::SSL::VERIFY_NONE
        D "SSL established, protocol: #{ssl.ssl_version}, cipher: #{ssl.cipher[0]}"
        @socket = Net::BufferedIO.new(ssl, read_timeout: @read_timeout, write_timeout: @write_timeout,
                                           continue_timeout: @continue_timeout, debug_output: @debug_output)
        @last_communicated = nil
        on_connect
      rescue StandardError => e
        D "Conn close because of connect error #{e}"
        s&.close
        raise
      end

      # Net::HTTP's CONNECT through an HTTP proxy, on the plain socket.
      def tlsplug_proxy_connect(sock)
        plain = Net::BufferedIO.new(sock, read_timeout: @read_timeout, write_timeout: @write_timeout,
                                          continue_timeout: @continue_timeout, debug_output: @debug_output)
        buf = +"CONNECT #{conn_address}:#{@port} HTTP/#{Net::HTTP::HTTPVersion}\r\nHost: #{@address}:#{@port}\r\n"
        if proxy_user
          buf << "Proxy-Authorization: Basic #{["#{proxy_user}:#{proxy_pass}"].pack('m0')}\r\n"
        end
        buf << "\r\n"
        plain.write(buf)
        Net::HTTPResponse.read_new(plain).value
      end

      # OpenSSL's cert_store (open-uri sets one): tlsplug cannot read its
      # certificates, so the store itself verifies the chain the peer sent,
      # right after the handshake and before any request is written, then
      # the name is checked as Node does (Tlsplug.check_server_identity).
      # ca_file and ca_path go into the store, as OpenSSL does with them.
      def tlsplug_verify_by_store(ssl)
        chain = ssl.peer_cert_chain
        if chain.nil? || chain.empty?
          raise CertificateVerificationError.new("the server sent no certificate", "ERR_TLS_CERT_MISSING", ABI::E_VERIFY)
        end

        ctx = OpenSSL::X509::StoreContext.new(@cert_store, chain.first, chain.drop(1))
        unless ctx.verify
          name = OpenSSL::X509.constants.find { |c| c.start_with?("V_ERR_") && OpenSSL::X509.const_get(c) == ctx.error }
          raise CertificateVerificationError.new("certificate verify failed (#{ctx.error_string})",
                                                 name.to_s.delete_prefix("V_ERR_"), ABI::E_VERIFY)
        end
        ssl.post_connection_check(@address) unless @verify_hostname == false
      end

      UNSUPPORTED = %i[verify_callback verify_depth ssl_timeout].freeze
      VERSIONS = { "TLS1" => "TLSv1", "TLS1_1" => "TLSv1.1", "TLS1_2" => "TLSv1.2", "TLS1_3" => "TLSv1.3" }.freeze
      private_constant :UNSUPPORTED, :VERSIONS

      # Net::HTTP's TLS settings as SSLSocket options.
      def tlsplug_ssl_options
        UNSUPPORTED.each do |name|
          next if instance_variable_get("@#{name}").nil?

          raise GeneralError.new("Net::HTTP##{name} has no tlsplug equivalent; give the trust as ca_file, " \
                                 "ca_path or tlsplug_options = { ca: PEM }", "ERR_TLSPLUG_UNSUPPORTED",
                                 ABI::E_UNSUPPORTED)
        end
        o = {}
        if @cert_store
          @cert_store.add_file(@ca_file) if @ca_file
          @cert_store.add_path(@ca_path) if @ca_path
          return o.merge(reject_unauthorized: false).merge(@tlsplug_options || {}) # the store verifies
        end
        ca = []
        ca << File.read(@ca_file) if @ca_file
        ca.concat(tlsplug_ca_path(@ca_path)) if @ca_path
        o[:ca] = ca unless ca.empty?
        if @cert
          o[:cert] = ([@cert] + Array(@extra_chain_cert)).map { |c| c.respond_to?(:to_pem) ? c.to_pem : c.to_s }.join
        end
        o[:key] = @key.respond_to?(:private_to_pem) ? @key.private_to_pem : @key.to_pem if @key
        o[:reject_unauthorized] = false if @verify_mode == OpenSSL::SSL::VERIFY_NONE
        o[:check_server_identity] = ->(_host, _cert) {} if @verify_hostname == false
        o[:min_version] = tlsplug_version(@min_version) if @min_version
        o[:max_version] = tlsplug_version(@max_version) if @max_version
        o[:ciphers] = Array(@ciphers).join(":") if @ciphers
        o[:secure_protocol] = "#{@ssl_version}_method" if @ssl_version
        o.merge(@tlsplug_options || {})
      end

      # The certificates of a directory (OpenSSL's ca_path), every file read.
      def tlsplug_ca_path(dir)
        Dir.children(dir).sort.map { |f| File.join(dir, f) }.select { |f| File.file?(f) }
           .map { |f| File.binread(f) }.select { |pem| pem.include?("-----BEGIN CERTIFICATE-----") }
      end

      # OpenSSL's version (:TLS1_2, OpenSSL::SSL::TLS1_2_VERSION) as Node's name.
      def tlsplug_version(v)
        name = v.is_a?(Integer) ? OpenSSL::SSL.constants.find { |c| c.end_with?("_VERSION") && OpenSSL::SSL.const_get(c) == v }&.to_s&.delete_suffix("_VERSION") : v.to_s
        VERSIONS.fetch(name) { raise OutOfRangeError.new("unknown TLS version #{v.inspect}", "ERR_TLS_INVALID_PROTOCOL_VERSION") }
      end
    end

    include Adapter
  end
end
