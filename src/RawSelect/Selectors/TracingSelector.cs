using System;
using System.Collections.Generic;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// --trace only: wraps whichever backend was chosen and writes one line when a descriptor is
/// registered or leaves ("fd 7 add tcp-connection 127.0.0.1:40312"), whatever the backend. Built
/// only at trace level, so a server that does not trace pays nothing for it. It changes nothing
/// else: a refused registration is passed back as refused and writes no line.
/// </summary>
public sealed class TracingSelector : ISelector
{
    private readonly ISelector _inner;
    private readonly Log _log;
    // The handler is what knows the role and address; Remove is given only the socket.
    private readonly Dictionary<nuint, IEventHandler> _registered = new();

    public TracingSelector(ISelector inner, Log log)
    {
        _inner = inner;
        _log = log;
    }

    public ISelector Inner => _inner;

    public bool CanRegister(SocketHandle socket) => _inner.CanRegister(socket);

    public int Capacity => _inner.Capacity;

    public int Count => _inner.Count;

    public string Backend => _inner.Backend;

    public string WaitCall => _inner.WaitCall;

    public int MaxEvents => _inner.MaxEvents;

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!_inner.Add(socket, interest, handler)) return false;
        _registered[socket.Value] = handler;
        Write(socket, " add ", handler);
        return true;
    }

    public void Modify(SocketHandle socket, Interest interest) => _inner.Modify(socket, interest);

    public void Remove(SocketHandle socket)
    {
        _inner.Remove(socket);
        if (_registered.Remove(socket.Value, out IEventHandler? handler)) Write(socket, " remove ", handler);
    }

    public int Wait(long timeoutMicros, Span<ReadyEvent> fired) => _inner.Wait(timeoutMicros, fired);

    private void Write(SocketHandle socket, string what, IEventHandler handler)
    {
        _log.Begin("trace").Append("fd ").Append((long)socket.Value).Append(what);
        if (handler is ITraceDescribed d)
        {
            _log.Append(d.TraceRole).Append(' ');
            d.AppendTraceAddress(_log);
        }
        else
        {
            _log.Append("unknown -");
        }
        _log.End();
    }

    public void Dispose() => _inner.Dispose();
}
