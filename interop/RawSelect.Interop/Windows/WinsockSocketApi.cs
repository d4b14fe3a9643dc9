using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;

namespace RawSelect.Interop.Windows;

/// <summary>
/// The seam on Windows: each member forwards to ws2_32 and turns SOCKET_ERROR + the Winsock error
/// into -errno in the POSIX vocabulary the handlers speak (<see cref="WinsockErrors"/>).
///
/// Where Winsock differs from the POSIX calls the seam was cut from:
/// <list type="bullet">
/// <item>Sockets are made non-inheritable (WSA_FLAG_NO_HANDLE_INHERIT, Winsock's SOCK_CLOEXEC) and
/// non-blocking with ioctlsocket(FIONBIO); there is no accept4, so each accepted socket gets
/// FIONBIO again (it inherits it from the listener, but a second call is cheap certainty).</item>
/// <item>UDP sockets get SIO_UDP_CONNRESET = FALSE: otherwise an echo to a peer that has gone
/// makes the NEXT recvfrom fail with WSAECONNRESET, whoever sent the datagram waiting behind it.</item>
/// <item>SocketOption.ReuseAddress becomes SO_EXCLUSIVEADDRUSE. Winsock's SO_REUSEADDR lets a
/// second socket bind a port another is listening on (port stealing), which would turn "a taken
/// port exits 1" into two servers sharing a port; a plain Windows bind already gets past TIME_WAIT.
/// The price, documented by Microsoft ("Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"): while
/// connections a previous instance accepted are still closing, a restart may not rebind the port
/// at once.</item>
/// <item>The wake-up pair is two loopback UDP sockets connected to each other, since Winsock
/// select takes only sockets. Connected, the read end accepts datagrams from the write end alone.</item>
/// <item>recvfrom has no MSG_TRUNC: see <see cref="WinsockErrors.RecvFromResult"/>.</item>
/// <item>There is no RLIMIT_NOFILE: <see cref="DescriptorLimit"/> reports the per-process handle
/// ceiling, so the selector's count is what binds.</item>
/// </list>
/// </summary>
[SupportedOSPlatform("windows")]
public sealed unsafe class WinsockSocketApi : ISocketApi, IWinsockSelectApi, IDisposable
{
    /// <summary>
    /// Windows has no descriptor rlimit; a process's handle table stops at 2^24 handles ("Pushing
    /// the Limits of Windows: Handles", M. Russinovich). Memory runs out long before.
    /// </summary>
    public const long HandleLimit = 1L << 24;

    private int _cleanedUp;

    private WinsockSocketApi() { }

    /// <summary>
    /// WSAStartup(2.2). Returns 0 and the API, or -errno (the Winsock code mapped) with api null.
    /// Throws PlatformNotSupportedException in a 32-bit process, whose structs differ.
    /// </summary>
    public static int Startup(out WinsockSocketApi? api)
    {
        api = null;
        if (IntPtr.Size != 8)
            throw new PlatformNotSupportedException("the Winsock structs here are the 64-bit (_WIN64) layouts: build for win-x64 or win-arm64");
        WsaData data;
        int r = Ws2_32.WSAStartup(Ws2_32.WINSOCK_VERSION_2_2, &data);
        if (r != 0) return -WinsockErrors.ToErrno(r);
        if (data.wVersion != Ws2_32.WINSOCK_VERSION_2_2)
        {
            Ws2_32.WSACleanup();
            return -WinsockErrors.ToErrno(Ws2_32.WSAVERNOTSUPPORTED);
        }
        api = new WinsockSocketApi();
        return 0;
    }

    /// <summary>WSACleanup, once. A process that simply exits does not need it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _cleanedUp, 1) == 0) Ws2_32.WSACleanup();
    }

    private static int Fail() => -WinsockErrors.ToErrno(Marshal.GetLastPInvokeError());

    private static nuint NewSocket(int af, int type, int protocol) =>
        Ws2_32.WSASocketW(af, type, protocol, null, 0, Ws2_32.WSA_FLAG_OVERLAPPED | Ws2_32.WSA_FLAG_NO_HANDLE_INHERIT);

    private static int SetNonBlocking(nuint s)
    {
        uint on = 1;
        return Ws2_32.ioctlsocket(s, Ws2_32.FIONBIO, &on) == Ws2_32.SOCKET_ERROR ? Fail() : 0;
    }

    private static int DisableUdpConnReset(nuint s)
    {
        uint off = 0, returned;
        return Ws2_32.WSAIoctl(s, Ws2_32.SIO_UDP_CONNRESET, &off, sizeof(uint), null, 0, &returned, null, null)
            == Ws2_32.SOCKET_ERROR ? Fail() : 0;
    }

    public int OpenSocket(AddressFamilyKind family, bool stream, out SocketHandle socket)
    {
        socket = SocketHandle.Invalid;
        int af = family == AddressFamilyKind.IPv6 ? Ws2_32.AF_INET6 : Ws2_32.AF_INET;
        nuint s = NewSocket(af, stream ? Ws2_32.SOCK_STREAM : Ws2_32.SOCK_DGRAM,
            stream ? Ws2_32.IPPROTO_TCP : Ws2_32.IPPROTO_UDP);
        if (s == Ws2_32.INVALID_SOCKET) return Fail();
        int r = SetNonBlocking(s);
        if (r == 0 && !stream) r = DisableUdpConnReset(s);
        if (r < 0)
        {
            Ws2_32.closesocket(s);
            return r;
        }
        socket = new SocketHandle(s);
        return 0;
    }

    public int SetOption(SocketHandle socket, SocketOption option, int value)
    {
        (int level, int name) = option switch
        {
            SocketOption.ReuseAddress => (Ws2_32.SOL_SOCKET, Ws2_32.SO_EXCLUSIVEADDRUSE),
            SocketOption.IPv6Only => (Ws2_32.IPPROTO_IPV6, Ws2_32.IPV6_V6ONLY),
            SocketOption.NoDelay => (Ws2_32.IPPROTO_TCP, Ws2_32.TCP_NODELAY),
            SocketOption.ReceiveBuffer => (Ws2_32.SOL_SOCKET, Ws2_32.SO_RCVBUF),
            SocketOption.SendBuffer => (Ws2_32.SOL_SOCKET, Ws2_32.SO_SNDBUF),
            SocketOption.OobInline => (Ws2_32.SOL_SOCKET, Ws2_32.SO_OOBINLINE),
            _ => (-1, -1),
        };
        if (level == -1) return -Errno.EINVAL;
        // Winsock's BOOL and int options are both 4-byte ints.
        return Ws2_32.setsockopt(socket.Value, level, name, &value, sizeof(int)) == Ws2_32.SOCKET_ERROR ? Fail() : 0;
    }

    public int Bind(SocketHandle socket, in NetAddress address)
    {
        SockAddrStorage ss;
        int len = ToSockAddr(address, &ss);
        return Ws2_32.bind(socket.Value, &ss, len) == Ws2_32.SOCKET_ERROR ? Fail() : 0;
    }

    public int Listen(SocketHandle socket, int backlog) =>
        Ws2_32.listen(socket.Value, backlog) == Ws2_32.SOCKET_ERROR ? Fail() : 0;

    public int GetSockName(SocketHandle socket, out NetAddress address)
    {
        SockAddrStorage ss;
        int len = sizeof(SockAddrStorage);
        if (Ws2_32.getsockname(socket.Value, &ss, &len) == Ws2_32.SOCKET_ERROR) { address = default; return Fail(); }
        address = FromSockAddr(&ss);
        return 0;
    }

    public int Accept(SocketHandle listener, out SocketHandle connection, out NetAddress peer)
    {
        connection = SocketHandle.Invalid;
        peer = default;
        SockAddrStorage ss;
        int len = sizeof(SockAddrStorage);
        nuint s = Ws2_32.accept(listener.Value, &ss, &len);
        if (s == Ws2_32.INVALID_SOCKET) return Fail();
        int r = SetNonBlocking(s);
        if (r < 0)
        {
            Ws2_32.closesocket(s);
            return r;
        }
        connection = new SocketHandle(s);
        peer = FromSockAddr(&ss);
        return 0;
    }

    public nint Recv(SocketHandle socket, byte[] buffer, int offset, int count)
    {
        CheckRange(buffer, offset, count);
        fixed (byte* p = buffer)
        {
            int n = Ws2_32.recv(socket.Value, p + offset, count, 0);
            return n == Ws2_32.SOCKET_ERROR ? Fail() : n;
        }
    }

    public nint Send(SocketHandle socket, byte[] buffer, int offset, int count)
    {
        CheckRange(buffer, offset, count);
        fixed (byte* p = buffer)
        {
            int n = Ws2_32.send(socket.Value, p + offset, count, 0);
            return n == Ws2_32.SOCKET_ERROR ? Fail() : n;
        }
    }

    public nint RecvFrom(SocketHandle socket, byte[] buffer, int offset, int count, out NetAddress from)
    {
        CheckRange(buffer, offset, count);
        SockAddrStorage ss = default;
        int len = sizeof(SockAddrStorage);
        fixed (byte* p = buffer)
        {
            int n = Ws2_32.recvfrom(socket.Value, p + offset, count, 0, &ss, &len);
            int error = n == Ws2_32.SOCKET_ERROR ? Marshal.GetLastPInvokeError() : 0;
            long result = WinsockErrors.RecvFromResult(n, error, count);
            // A truncated datagram still names its sender; a failed call names nobody.
            from = result >= 0 ? FromSockAddr(&ss) : default;
            return (nint)result;
        }
    }

    public nint SendTo(SocketHandle socket, byte[] buffer, int offset, int count, in NetAddress to)
    {
        CheckRange(buffer, offset, count);
        SockAddrStorage ss;
        int len = ToSockAddr(to, &ss);
        fixed (byte* p = buffer)
        {
            int n = Ws2_32.sendto(socket.Value, p + offset, count, 0, &ss, len);
            return n == Ws2_32.SOCKET_ERROR ? Fail() : n;
        }
    }

    public int Shutdown(SocketHandle socket, ShutdownHow how) =>
        Ws2_32.shutdown(socket.Value, (int)how) == Ws2_32.SOCKET_ERROR ? Fail() : 0;

    public int Close(SocketHandle socket) =>
        Ws2_32.closesocket(socket.Value) == Ws2_32.SOCKET_ERROR ? Fail() : 0;

    public int OpenWakePair(out SocketHandle readEnd, out SocketHandle writeEnd)
    {
        // IPv4 loopback first; a host with IPv6 only still has ::1.
        int r = OpenUdpPair(NetAddress.IPv4Loopback(0), out readEnd, out writeEnd);
        if (r < 0 && OpenUdpPair(NetAddress.IPv6Loopback(0), out readEnd, out writeEnd) == 0) return 0;
        return r;
    }

    private int OpenUdpPair(NetAddress loopback, out SocketHandle readEnd, out SocketHandle writeEnd)
    {
        readEnd = writeEnd = SocketHandle.Invalid;
        int r = OpenSocket(loopback.Family, stream: false, out SocketHandle a);
        if (r < 0) return r;
        r = OpenSocket(loopback.Family, stream: false, out SocketHandle b);
        if (r < 0) { Close(a); return r; }
        NetAddress aAddr = default, bAddr = default;
        r = Bind(a, loopback);
        if (r == 0) r = Bind(b, loopback);
        if (r == 0) r = GetSockName(a, out aAddr);
        if (r == 0) r = GetSockName(b, out bAddr);
        if (r == 0) r = Connect(b, aAddr);
        if (r == 0) r = Connect(a, bAddr);
        if (r < 0)
        {
            Close(a);
            Close(b);
            return r;
        }
        readEnd = a;
        writeEnd = b;
        return 0;
    }

    /// <summary>Connecting a UDP socket only sets its peer: it returns at once, even non-blocking.</summary>
    private static int Connect(SocketHandle socket, in NetAddress to)
    {
        SockAddrStorage ss;
        int len = ToSockAddr(to, &ss);
        return Ws2_32.connect(socket.Value, &ss, len) == Ws2_32.SOCKET_ERROR ? Fail() : 0;
    }

    public int Wake(SocketHandle writeEnd)
    {
        byte b = 1;
        if (Ws2_32.send(writeEnd.Value, &b, 1, 0) != Ws2_32.SOCKET_ERROR) return 0;
        int e = WinsockErrors.ToErrno(Marshal.GetLastPInvokeError());
        // Buffers full: datagrams are already waiting, so a wake-up is pending.
        return e == Errno.EAGAIN || e == Errno.ENOBUFS ? 0 : -e;
    }

    public int DrainWake(SocketHandle readEnd)
    {
        byte* buf = stackalloc byte[64];
        while (true)
        {
            if (Ws2_32.recv(readEnd.Value, buf, 64, 0) != Ws2_32.SOCKET_ERROR) continue;
            int e = WinsockErrors.ToErrno(Marshal.GetLastPInvokeError());
            if (e == Errno.EINTR || e == Errno.EMSGSIZE || e == Errno.ECONNRESET) continue;
            return e == Errno.EAGAIN ? 0 : -e;
        }
    }

    public int OpenSpare(out SocketHandle spare)
    {
        // Any socket will do: it exists only to be closed when WSAEMFILE strikes.
        nuint s = NewSocket(Ws2_32.AF_INET, Ws2_32.SOCK_DGRAM, Ws2_32.IPPROTO_UDP);
        spare = s == Ws2_32.INVALID_SOCKET ? SocketHandle.Invalid : new SocketHandle(s);
        return s == Ws2_32.INVALID_SOCKET ? Fail() : 0;
    }

    public long DescriptorLimit() => HandleLimit;

    public string ErrorText(int errno) => WinsockErrors.Text(errno);

    public int Select(LargeFdSet readfds, LargeFdSet writefds, long timeoutMicros)
    {
        // A fresh timeval every call, as on Linux, though Winsock does not write it back.
        TimeVal tv = TimeVal.FromMicroseconds(timeoutMicros);
        fixed (ulong* r = readfds.Raw)
        fixed (ulong* w = writefds.Raw)
        {
            // nfds is ignored by Winsock: 0 says so. Null sets are allowed, empty ones too, as
            // long as one set holds a socket.
            int n = Ws2_32.select(0, r, w, null, timeoutMicros < 0 ? null : &tv);
            return n == Ws2_32.SOCKET_ERROR ? Fail() : n;
        }
    }

    public void Sleep(long timeoutMicros)
    {
        // Round up: a timer due in 300 us must not become a 0 ms sleep and a busy loop.
        long ms = (Math.Max(0, timeoutMicros) + 999) / 1000;
        Thread.Sleep((int)Math.Min(ms, int.MaxValue));
    }

    private static void CheckRange(byte[] buffer, int offset, int count)
    {
        if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            throw new ArgumentOutOfRangeException(nameof(count));
    }

    private static int ToSockAddr(in NetAddress address, SockAddrStorage* ss) => WinsockSockAddr.Write(address, ss);

    private static NetAddress FromSockAddr(SockAddrStorage* ss) => WinsockSockAddr.Read(ss);
}
