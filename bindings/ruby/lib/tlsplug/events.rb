# frozen_string_literal: true

module Tlsplug
  # Node's EventEmitter: on/once/off/emit with event names as Node's strings;
  # listeners run in order; an 'error' with no listener raises its argument.
  module EventEmitter
    def listeners_table
      @listeners ||= {}
    end

    # Add +blk+ (or +callable+) as a listener of +event+; answers self.
    def on(event, callable = nil, &blk)
      fn = callable || blk
      raise ArgumentError, "on(#{event.inspect}) needs a block" unless fn
      (listeners_table[event.to_s] ||= []) << fn
      listener_added(event.to_s)
      self
    end
    alias add_listener on

    # As #on, removed after its first call.
    def once(event, callable = nil, &blk)
      fn = callable || blk
      raise ArgumentError, "once(#{event.inspect}) needs a block" unless fn
      wrapper = nil
      wrapper = OnceListener.new(fn) do |*args|
        off(event, wrapper)
        fn.call(*args)
      end
      on(event, wrapper)
    end

    # Remove a listener (the block or callable given to #on / #once).
    def off(event, callable = nil, &blk)
      fn = callable || blk
      list = listeners_table[event.to_s] || []
      idx = list.index { |l| l.equal?(fn) || (l.is_a?(OnceListener) && l.target.equal?(fn)) }
      list.delete_at(idx) if idx
      self
    end
    alias remove_listener off

    def remove_all_listeners(event = nil)
      event ? listeners_table.delete(event.to_s) : listeners_table.clear
      self
    end

    def listener_count(event)
      (listeners_table[event.to_s] || []).size
    end

    # Call the listeners of +event+ in order; true when there were any.
    def emit(event, *args)
      list = (listeners_table[event.to_s] || []).dup
      if list.empty?
        if event.to_s == "error"
          err = args.first
          raise(err.is_a?(Exception) ? err : Error.new(err.to_s))
        end
        return false
      end
      list.each { |fn| fn.call(*args) }
      true
    end

    # Hook for classes (a 'data' listener starts the flow, ...).
    def listener_added(_event); end
  end

  # A #once wrapper (remembers the listener so #off finds it).
  class OnceListener < Proc
    attr_reader :target

    def self.new(target, &blk)
      p = super(&blk)
      p.instance_variable_set(:@target, target)
      p
    end
  end
end
