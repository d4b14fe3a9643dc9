namespace RawSelect;

/// <summary>
/// Source ports an echo must not answer: the small services that answer anything (echo 7,
/// discard 9, daytime 13, qotd 17, chargen 19, time 37) and port 0, which no real socket sends
/// from. A spoofed datagram from one of them would set two servers echoing at each other forever
/// (CERT CA-1996-01).
/// </summary>
public static class UdpSourceFilter
{
    public static bool IsServicePort(ushort port) =>
        port is 0 or 7 or 9 or 13 or 17 or 19 or 37;
}
