using System.Collections.Generic;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// How one loop binds its sockets when several serve the same addresses (--loops N): alone
/// (N = 1, no SO_REUSEPORT at all), first (binds as a lone server would, then opens each socket
/// to its siblings), or joining (binds the addresses the first loop got, with SO_REUSEPORT).
/// </summary>
public sealed class ReusePortPlan
{
    private ReusePortPlan(int loops, bool first, IReadOnlyList<NetAddress>? tcp, IReadOnlyList<NetAddress>? udp)
    {
        Loops = loops;
        First = first;
        Tcp = tcp;
        Udp = udp;
    }

    public static readonly ReusePortPlan Alone = new(1, false, null, null);

    public static ReusePortPlan FirstOf(int loops) => new(loops, true, null, null);

    /// <summary>A sibling: the first loop's bound addresses (real ports), in option order.</summary>
    public static ReusePortPlan Join(int loops, IReadOnlyList<NetAddress> tcp, IReadOnlyList<NetAddress> udp) => new(loops, false, tcp, udp);

    public int Loops { get; }
    public bool First { get; }
    public bool Joining => Tcp is not null;
    public IReadOnlyList<NetAddress>? Tcp { get; }
    public IReadOnlyList<NetAddress>? Udp { get; }
}
