# frozen_string_literal: true

module Tlsplug
  # Node's deprecated SecurePair (tls.createSecurePair): +cleartext+ is a
  # TLSSocket (write, 'data'); +encrypted+ takes ciphertext with write and
  # gives it with read; 'secure' fires when the handshake completes.
  class SecurePair
    include EventEmitter

    # The encrypted side: ciphertext in (write) and out (read).
    class Encrypted
      def initialize(sock)
        @sock = sock
      end

      def write(data)
        @sock.feed(data)
      end

      def read
        @sock.pull
      end

      def end
        @sock.feed_eof
      end
    end

    attr_reader :cleartext, :encrypted

    def initialize(context, is_server, request_cert, reject_unauthorized)
      unless context.nil? || context.is_a?(SecureContext)
        raise TLSTypeError.new("context must be a SecureContext", "ERR_TLS_INVALID_CONTEXT")
      end

      own = context.nil? ? Tlsplug.create_secure_context : nil
      ctx = own || context
      begin
        buf = Util.out
        Util.check(ABI.lib.secure_pair_new(ctx.handle, is_server ? 1 : 0, request_cert ? 1 : 0,
                                           reject_unauthorized ? 1 : 0, buf),
                   ctx.handle, "createSecurePair")
        handle = Util.out_handle(buf)
      ensure
        own&.close # the pair's socket holds its own reference
      end
      @cleartext = TLSSocket.new(is_server: is_server, _handle: handle)
      @encrypted = Encrypted.new(@cleartext)
      @cleartext.on("secure") { emit("secure") }
      @cleartext.on("error") { |e| emit("error", e) }
    end

    def destroy
      @cleartext.destroy
    end
  end

  # Node's tls.createSecurePair(context, isServer, requestCert, rejectUnauthorized).
  def self.create_secure_pair(context = nil, is_server = false, request_cert = false,
                              reject_unauthorized = false)
    SecurePair.new(context, is_server, request_cert, reject_unauthorized)
  end
end
