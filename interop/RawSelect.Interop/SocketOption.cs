namespace RawSelect.Interop;

/// <summary>
/// Socket options the server sets, named for what they do. Levels and numbers differ per platform
/// (SOL_SOCKET is 1 on Linux and 0xffff on Winsock), so each ISocketApi maps them itself.
/// </summary>
public enum SocketOption
{
    /// <summary>SO_REUSEADDR: rebind a port with connections in TIME_WAIT after a restart.</summary>
    ReuseAddress,
    /// <summary>IPV6_V6ONLY: a [::] listener takes only IPv6, so 0.0.0.0 can be bound beside it.</summary>
    IPv6Only,
    /// <summary>TCP_NODELAY: echo small writes at once instead of waiting for Nagle.</summary>
    NoDelay,
    /// <summary>SO_RCVBUF.</summary>
    ReceiveBuffer,
    /// <summary>SO_SNDBUF.</summary>
    SendBuffer,
    /// <summary>
    /// SO_OOBINLINE: TCP urgent data (MSG_OOB) stays in the byte stream, in order, where a plain
    /// recv reads it; without it the urgent byte is set aside for recv(MSG_OOB) and an echo
    /// server loses it.
    /// </summary>
    OobInline,
    /// <summary>
    /// SO_REUSEPORT (Linux): several sockets of one user bind the same address and port, and
    /// the kernel spreads connections and datagram flows over them (--loops N).
    /// </summary>
    ReusePort,
}
