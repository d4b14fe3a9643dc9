using System.Collections.Generic;

namespace RawSelect;

/// <summary>Closed connections kept for reuse, bounded so a past flood does not pin memory forever.</summary>
public sealed class ConnectionPool
{
    private const int MaxKept = 256;
    private readonly Stack<TcpConnection> _free = new();

    public TcpConnection Rent(ServerContext context) =>
        _free.TryPop(out TcpConnection? c) ? c : new TcpConnection(context);

    public void Return(TcpConnection c)
    {
        if (_free.Count < MaxKept) _free.Push(c);
    }
}
