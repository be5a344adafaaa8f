# frozen_string_literal: true

module Tlsplug
  # Node's pskCallback: GnuTLS asks for the key inside the handshake, so the
  # answer (tlsplug_socket_psk_answer) is given from inside the PSK event.
  module PSK
    module_function

    def key(value, what)
      return value.b if value.is_a?(String)

      raise Error.new("The \"#{what}\" property must be of type Buffer, TypedArray or DataView. " \
                      "Received #{value.class}", "ERR_INVALID_ARG_TYPE", ABI::E_INVAL)
    end

    # A client's psk_callback.call(hint) -> { psk:, identity: } or nil.
    def answer_client(handle, callback, hint)
      return if callback.nil?

      ret = callback.call(hint.empty? ? nil : hint)
      return if ret.nil?

      ret = ret.transform_keys(&:to_sym) if ret.is_a?(Hash)
      identity = ret.is_a?(Hash) ? ret[:identity] : nil
      unless identity.is_a?(String)
        raise Error.new('The "ret.identity" property must be of type string',
                        "ERR_INVALID_ARG_TYPE", ABI::E_INVAL)
      end
      k = key(ret[:psk], "ret.psk")
      Util.check(ABI.lib.socket_psk_answer(handle, k, k.bytesize, Util.cstr(identity)), handle, "pskCallback")
    end

    # A server's psk_callback.call(socket, identity) -> key String or nil.
    def answer_server(handle, callback, sock, identity)
      return if callback.nil?

      ret = callback.call(sock, identity)
      return if ret.nil?

      k = key(ret, "ret")
      Util.check(ABI.lib.socket_psk_answer(handle, k, k.bytesize, nil), handle, "pskCallback")
    end
  end
end
