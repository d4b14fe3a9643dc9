using System;

namespace RawSelect.Interop.Unix;

/// <summary>
/// The classic BPF program attached to a SO_REUSEPORT group (SO_ATTACH_REUSEPORT_CBPF): it
/// returns the index of the group member that gets a connection or datagram, here a hash of the
/// client's source port modulo the number of loops. The kernel numbers members in the order they joined,
/// so indexes 0..N-1 are the server's own sockets; a socket of the same user that joins later
/// (SO_REUSEPORT cannot stop it) is never chosen. A client's datagrams all carry its one source
/// port, so they all reach the same loop. The program reads the transport header through the
/// network header (SKF_NET_OFF): the kernel hands it the packet past the TCP/UDP header.
/// </summary>
public static class ReusePortSteering
{
    public const int Length = 11;

    public static void Fill(Span<SockFilter> p, int members)
    {
        const int net = Libc.SKF_NET_OFF;
        p[0] = new(Libc.BPF_LD | Libc.BPF_B | Libc.BPF_ABS, net);               // A = first byte of the IP header
        p[1] = new(Libc.BPF_ALU | Libc.BPF_RSH | Libc.BPF_K, 4);                // A = IP version
        p[2] = new(Libc.BPF_JMP | Libc.BPF_JEQ | Libc.BPF_K, 6, jt: 3, jf: 0);  // IPv6: to 6
        p[3] = new(Libc.BPF_LDX | Libc.BPF_B | Libc.BPF_MSH, net);              // X = IPv4 header length
        p[4] = new(Libc.BPF_LD | Libc.BPF_H | Libc.BPF_IND, net);               // A = source port (IPv4)
        p[5] = new(Libc.BPF_JMP | Libc.BPF_JA, 1);                              // to 7
        p[6] = new(Libc.BPF_LD | Libc.BPF_H | Libc.BPF_ABS, net + 40);          // A = source port (IPv6)
        // Linux gives connect() even source ports (bind() the odd ones), so the port itself
        // would send every connection to an even member: mix it first (Fibonacci hashing).
        p[7] = new(Libc.BPF_ALU | Libc.BPF_MUL | Libc.BPF_K, unchecked((int)0x9E3779B1));
        p[8] = new(Libc.BPF_ALU | Libc.BPF_RSH | Libc.BPF_K, 16);
        p[9] = new(Libc.BPF_ALU | Libc.BPF_MOD | Libc.BPF_K, members);          // A %= members
        p[10] = new(Libc.BPF_RET | Libc.BPF_A, 0);                              // the member's index
    }
}
