namespace RawSelect;

/// <summary>
/// --idle-timeout: closes connections with no traffic either way for that long. The connection
/// list keeps the longest idle at its head, so the deadline is one look and expiry stops at the
/// first connection still fresh.
/// </summary>
public sealed class IdleTimer : ITimer
{
    private readonly ServerContext _cx;

    public IdleTimer(ServerContext context) => _cx = context;

    public long DueAt =>
        _cx.IdleTimeoutMs <= 0 || _cx.Connections.Head is not TcpConnection head
            ? long.MaxValue
            : head.LastActivity + _cx.IdleTimeoutMs;

    public void OnTimer(long now)
    {
        while (_cx.Connections.Head is TcpConnection head && head.LastActivity + _cx.IdleTimeoutMs <= now)
        {
            head.Close(CloseReason.Idle, 0);
        }
    }
}
