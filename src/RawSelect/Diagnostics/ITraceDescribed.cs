namespace RawSelect;

/// <summary>
/// What a registered handler is, for the trace's "fd N add ROLE ADDR" lines, so a reader of a
/// trace can always tell what fd 12 was. Roles: wake-pipe, tcp-listener, tcp-connection,
/// udp-socket. The address is the bound one (listener, udp socket), the peer (connection) or "-".
/// </summary>
public interface ITraceDescribed
{
    string TraceRole { get; }

    void AppendTraceAddress(Log log);
}
