using System.Net;
using System.Net.Sockets;

namespace RawSelect.Tests.Integration;

/// <summary>
/// Spreads the tests' TCP clients over 16 source addresses, 127.0.2.1 to 127.0.2.16 (all of
/// 127.0.0.0/8 is local on Linux). Each source address has its own ephemeral port range, so a
/// suite started right after heavy loopback traffic (the benchmark's connect churn leaves ~50k
/// sockets in TIME_WAIT for a minute) does not fail with EADDRNOTAVAIL. The benchmark's load
/// generator uses 127.0.1.x for the same reason, so the two never share a range.
/// </summary>
public static class LoopbackSource
{
    private const int Count = 16;
    private const int IPPROTO_IP = 0;
    private const int IP_BIND_ADDRESS_NO_PORT = 24; // linux/in.h: bind takes the address, connect picks the port
    private static int _next;

    /// <summary>Binds <paramref name="s"/> (not yet connected) to the next source address when it is
    /// about to connect to an IPv4 loopback address on Linux; otherwise leaves it alone.</summary>
    public static void Bind(Socket s, IPEndPoint destination)
    {
        if (!OperatingSystem.IsLinux() || destination.AddressFamily != AddressFamily.InterNetwork ||
            !IPAddress.IsLoopback(destination.Address))
            return;
        int k = (int)((uint)Interlocked.Increment(ref _next) % Count);
        // Without this option bind(port 0) would reserve a port for the address alone, and the
        // range would run out faster, not slower; connect() then checks the whole 4-tuple.
        s.SetRawSocketOption(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, BitConverter.GetBytes(1));
        s.Bind(new IPEndPoint(new IPAddress([127, 0, 2, (byte)(1 + k)]), 0));
    }
}
