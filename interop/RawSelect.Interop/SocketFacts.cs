namespace RawSelect.Interop;

/// <summary>The address family of a descriptor handed to us, named without the platform's AF_ numbers.</summary>
public enum SocketDomain : byte
{
    Other = 0,
    Unix,
    IPv4,
    IPv6,
}

/// <summary>The socket type (SO_TYPE), named without the platform's SOCK_ numbers.</summary>
public enum SocketKind : byte
{
    Other = 0,
    Stream,
    Datagram,
    SeqPacket,
    Raw,
}

/// <summary>
/// What a descriptor we did not open ourselves is (a socket passed by a service manager):
/// SO_DOMAIN, SO_TYPE, SO_PROTOCOL and SO_ACCEPTCONN. The raw numbers are kept for messages
/// about kinds we do not name. Protocol is the IANA protocol number (the same on every platform),
/// or -1 when the platform cannot say.
/// </summary>
public readonly record struct SocketFacts(
    SocketDomain Domain, int RawDomain, SocketKind Kind, int RawType, int Protocol, bool Listening)
{
    public const int ProtocolTcp = 6;
    public const int ProtocolUdp = 17;
    public const int ProtocolUdpLite = 136;
    public const int ProtocolMptcp = 262;
}
