using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>The seam on Linux: each member forwards to libc and turns -1 + errno into -errno.</summary>
public sealed unsafe class UnixSocketApi : ISocketApi, ISelectApi
{
    public static readonly UnixSocketApi Instance = new();

    private static int Fail() => -Marshal.GetLastPInvokeError();

    public int OpenSocket(AddressFamilyKind family, bool stream, out SocketHandle socket)
    {
        int domain = family == AddressFamilyKind.IPv6 ? Libc.AF_INET6 : Libc.AF_INET;
        int type = (stream ? Libc.SOCK_STREAM : Libc.SOCK_DGRAM) | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC;
        int fd = Libc.socket(domain, type, 0);
        socket = SocketHandle.FromFd(fd);
        return fd < 0 ? Fail() : 0;
    }

    public int SetOption(SocketHandle socket, SocketOption option, int value)
    {
        (int level, int name) = option switch
        {
            SocketOption.ReuseAddress => (Libc.SOL_SOCKET, Libc.SO_REUSEADDR),
            SocketOption.IPv6Only => (Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY),
            SocketOption.NoDelay => (Libc.IPPROTO_TCP, Libc.TCP_NODELAY),
            SocketOption.ReceiveBuffer => (Libc.SOL_SOCKET, Libc.SO_RCVBUF),
            SocketOption.SendBuffer => (Libc.SOL_SOCKET, Libc.SO_SNDBUF),
            SocketOption.OobInline => (Libc.SOL_SOCKET, Libc.SO_OOBINLINE),
            SocketOption.ReusePort => (Libc.SOL_SOCKET, Libc.SO_REUSEPORT),
            _ => (-1, -1),
        };
        if (level < 0) return -Errno.EINVAL;
        return Libc.setsockopt(socket.Fd, level, name, &value, sizeof(int)) < 0 ? Fail() : 0;
    }

    public int Bind(SocketHandle socket, in NetAddress address)
    {
        SockAddrStorage ss;
        uint len = ToSockAddr(address, &ss);
        return Libc.bind(socket.Fd, &ss, len) < 0 ? Fail() : 0;
    }

    public int Listen(SocketHandle socket, int backlog) =>
        Libc.listen(socket.Fd, backlog) < 0 ? Fail() : 0;

    public int GetSockName(SocketHandle socket, out NetAddress address)
    {
        SockAddrStorage ss;
        uint len = (uint)sizeof(SockAddrStorage);
        if (Libc.getsockname(socket.Fd, &ss, &len) < 0) { address = default; return Fail(); }
        address = FromSockAddr(&ss);
        return 0;
    }

    public int Accept(SocketHandle listener, out SocketHandle connection, out NetAddress peer)
    {
        SockAddrStorage ss;
        uint len = (uint)sizeof(SockAddrStorage);
        int fd = Libc.accept4(listener.Fd, &ss, &len, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
        if (fd < 0) { connection = SocketHandle.Invalid; peer = default; return Fail(); }
        connection = SocketHandle.FromFd(fd);
        peer = FromSockAddr(&ss);
        return 0;
    }

    public nint Recv(SocketHandle socket, byte[] buffer, int offset, int count)
    {
        CheckRange(buffer, offset, count);
        fixed (byte* p = buffer)
        {
            nint n = Libc.recv(socket.Fd, p + offset, (nuint)count, 0);
            return n < 0 ? Fail() : n;
        }
    }

    public nint Send(SocketHandle socket, byte[] buffer, int offset, int count)
    {
        CheckRange(buffer, offset, count);
        fixed (byte* p = buffer)
        {
            nint n = Libc.send(socket.Fd, p + offset, (nuint)count, Libc.MSG_NOSIGNAL);
            return n < 0 ? Fail() : n;
        }
    }

    public nint RecvFrom(SocketHandle socket, byte[] buffer, int offset, int count, out NetAddress from)
    {
        CheckRange(buffer, offset, count);
        SockAddrStorage ss;
        uint len = (uint)sizeof(SockAddrStorage);
        fixed (byte* p = buffer)
        {
            // MSG_TRUNC makes recvfrom return the datagram's real length even when the buffer was
            // shorter: the only way to tell a truncated datagram from one that fit exactly.
            nint n = Libc.recvfrom(socket.Fd, p + offset, (nuint)count, Libc.MSG_TRUNC, &ss, &len);
            if (n < 0) { from = default; return Fail(); }
            from = FromSockAddr(&ss);
            return n;
        }
    }

    public nint SendTo(SocketHandle socket, byte[] buffer, int offset, int count, in NetAddress to)
    {
        CheckRange(buffer, offset, count);
        SockAddrStorage ss;
        uint len = ToSockAddr(to, &ss);
        fixed (byte* p = buffer)
        {
            nint n = Libc.sendto(socket.Fd, p + offset, (nuint)count, Libc.MSG_NOSIGNAL, &ss, len);
            return n < 0 ? Fail() : n;
        }
    }

    public int RecvMany(SocketHandle socket, DatagramBatch batch, int count)
    {
        count = Math.Min(count, batch.Capacity);
        MMsgState st = MMsgState.For(batch);
        for (int i = 0; i < count; i++)
        {
            st.Msgs[i].msg_hdr.msg_namelen = (uint)sizeof(SockAddrStorage);
            st.Msgs[i].msg_hdr.msg_flags = 0;
            st.Iov[i].iov_len = DatagramBatch.SlotSize;
        }
        int n = Libc.recvmmsg(socket.Fd, st.Msgs, (uint)count, 0, null);
        if (n < 0) return Fail();
        for (int i = 0; i < n; i++)
        {
            int len = (int)st.Msgs[i].msg_len;
            // recvmmsg has no per-message MSG_TRUNC length: the flag says "cut", so report one
            // byte more than the slot to let the caller count it as truncated.
            if ((st.Msgs[i].msg_hdr.msg_flags & Libc.MSG_TRUNC) != 0) len = DatagramBatch.SlotSize + 1;
            batch.Lengths[i] = len;
            batch.Peers[i] = FromSockAddr(&st.Addrs[i]);
        }
        return n;
    }

    public int SendMany(SocketHandle socket, DatagramBatch batch, int start, int count)
    {
        MMsgState st = MMsgState.For(batch);
        for (int i = start; i < start + count; i++)
        {
            st.Iov[i].iov_len = (nuint)batch.Lengths[i];
            st.Msgs[i].msg_hdr.msg_namelen = ToSockAddr(batch.Peers[i], &st.Addrs[i]);
            st.Msgs[i].msg_hdr.msg_flags = 0;
        }
        int n = Libc.sendmmsg(socket.Fd, st.Msgs + start, (uint)count, Libc.MSG_NOSIGNAL);
        return n < 0 ? Fail() : n;
    }

    public int Shutdown(SocketHandle socket, ShutdownHow how) =>
        Libc.shutdown(socket.Fd, (int)how) < 0 ? Fail() : 0;

    public int Close(SocketHandle socket) => Libc.close(socket.Fd) < 0 ? Fail() : 0;

    public int UnsentBytes(SocketHandle socket)
    {
        int queued;
        return Libc.ioctl(socket.Fd, (nuint)Libc.SIOCOUTQ, &queued) < 0 ? Fail() : queued;
    }

    public int OpenWakePair(out SocketHandle readEnd, out SocketHandle writeEnd)
    {
        int* fds = stackalloc int[2];
        // Both ends non-blocking: a full pipe means a wake-up is already pending, and the
        // signal thread must never block on it.
        if (Libc.pipe2(fds, Libc.O_NONBLOCK | Libc.O_CLOEXEC) < 0)
        {
            readEnd = writeEnd = SocketHandle.Invalid;
            return Fail();
        }
        readEnd = SocketHandle.FromFd(fds[0]);
        writeEnd = SocketHandle.FromFd(fds[1]);
        return 0;
    }

    public int Wake(SocketHandle writeEnd)
    {
        byte b = 1;
        nint n = Libc.write(writeEnd.Fd, &b, 1);
        if (n >= 0) return 0;
        int e = Marshal.GetLastPInvokeError();
        return e == Errno.EAGAIN ? 0 : -e; // full pipe: a wake-up is pending already
    }

    public int DrainWake(SocketHandle readEnd)
    {
        byte* buf = stackalloc byte[64];
        while (true)
        {
            nint n = Libc.read(readEnd.Fd, buf, 64);
            if (n > 0) continue;
            if (n == 0) return 0;
            int e = Marshal.GetLastPInvokeError();
            if (e == Errno.EINTR) continue;
            return e == Errno.EAGAIN ? 0 : -e;
        }
    }

    public int OpenSpare(out SocketHandle spare)
    {
        ReadOnlySpan<byte> path = "/dev/null\0"u8;
        fixed (byte* p = path)
        {
            int fd = Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0)
            {
                // A chroot without /dev still deserves a spare: any descriptor will do.
                fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            }
            spare = SocketHandle.FromFd(fd);
            return fd < 0 ? Fail() : 0;
        }
    }

    public long DescriptorLimit()
    {
        RLimit r;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &r) < 0) return Fail();
        return r.rlim_cur > long.MaxValue ? long.MaxValue : (long)r.rlim_cur;
    }

    public int GetDescriptorLimits(out long soft, out long hard)
    {
        RLimit r;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &r) < 0) { soft = hard = 0; return Fail(); }
        soft = r.rlim_cur > long.MaxValue ? long.MaxValue : (long)r.rlim_cur;
        hard = r.rlim_max > long.MaxValue ? long.MaxValue : (long)r.rlim_max;
        return 0;
    }

    public int SetDescriptorLimits(long soft, long hard)
    {
        RLimit r;
        r.rlim_cur = soft == long.MaxValue ? RLimit.RLIM_INFINITY : (ulong)soft;
        r.rlim_max = hard == long.MaxValue ? RLimit.RLIM_INFINITY : (ulong)hard;
        return Libc.setrlimit(Libc.RLIMIT_NOFILE, &r) < 0 ? Fail() : 0;
    }

    /// <summary>
    /// POSIX hands out the lowest free descriptor, so a fresh one's number is how many are open
    /// below it. Holes (a descriptor closed early by the runtime) only make this an overestimate,
    /// which errs on the safe side for the limit it feeds.
    /// </summary>
    public long DescriptorsInUse()
    {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return Fail();
        Libc.close(fd);
        return fd;
    }

    public string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public int SteerReusePortGroup(SocketHandle socket, int members)
    {
        Span<SockFilter> program = stackalloc SockFilter[ReusePortSteering.Length];
        ReusePortSteering.Fill(program, members);
        fixed (SockFilter* f = program)
        {
            var prog = new SockFprog { len = (ushort)program.Length, filter = f };
            return Libc.setsockopt(socket.Fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_REUSEPORT_CBPF, &prog, (uint)sizeof(SockFprog)) < 0 ? Fail() : 0;
        }
    }

    public int AvailableCpus()
    {
        // 1024 CPUs is glibc's cpu_set_t; the kernel wants at least its nr_cpu_ids bits, so
        // grow on EINVAL.
        for (int bytes = 128; bytes <= 1 << 16; bytes *= 2)
        {
            byte* mask = stackalloc byte[bytes];
            int r = Libc.sched_getaffinity(0, (nuint)bytes, mask);
            if (r < 0)
            {
                int e = Marshal.GetLastPInvokeError();
                if (e == Errno.EINVAL) continue;
                return -e;
            }
            // glibc returns 0 and zeroes what the kernel did not fill: count the whole mask.
            int n = 0;
            for (int i = 0; i < bytes; i++) n += System.Numerics.BitOperations.PopCount(mask[i]);
            return n;
        }
        return -Errno.EINVAL;
    }

    public int UnshareDescriptorTable() => Libc.unshare(Libc.CLONE_FILES) < 0 ? Fail() : 0;

    public int ProcessId() => Libc.getpid();

    public string? GetEnvironment(string name)
    {
        fixed (byte* n = CString(name))
        {
            byte* v = Libc.getenv(n);
            return v is null ? null : Marshal.PtrToStringUTF8((nint)v);
        }
    }

    public int UnsetEnvironment(string name)
    {
        // Both copies: environ for anything exec'd, and the runtime's own, which is what a
        // System.Diagnostics.Process child would be given.
        Environment.SetEnvironmentVariable(name, null);
        fixed (byte* n = CString(name))
            return Libc.unsetenv(n) < 0 ? Fail() : 0;
    }

    /// <summary>NUL-terminated UTF-8, for the few calls that take a name (start-up only).</summary>
    private static byte[] CString(string s)
    {
        var b = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    public int QuerySocket(SocketHandle socket, out SocketFacts facts)
    {
        facts = default;
        int type, domain, protocol, listening;
        int r = GetIntOption(socket.Fd, Libc.SO_TYPE, &type);
        if (r < 0) return r;
        if (GetIntOption(socket.Fd, Libc.SO_DOMAIN, &domain) < 0)
        {
            // Before Linux 2.6.32 there is no SO_DOMAIN: the bound address says the family too.
            SockAddrStorage ss;
            uint len = (uint)sizeof(SockAddrStorage);
            domain = Libc.getsockname(socket.Fd, &ss, &len) < 0 ? -1 : ss.ss_family;
        }
        if (GetIntOption(socket.Fd, Libc.SO_PROTOCOL, &protocol) < 0) protocol = -1;
        if (GetIntOption(socket.Fd, Libc.SO_ACCEPTCONN, &listening) < 0) listening = 0;
        SocketDomain d = domain switch
        {
            Libc.AF_UNIX => SocketDomain.Unix,
            Libc.AF_INET => SocketDomain.IPv4,
            Libc.AF_INET6 => SocketDomain.IPv6,
            _ => SocketDomain.Other,
        };
        SocketKind k = type switch
        {
            Libc.SOCK_STREAM => SocketKind.Stream,
            Libc.SOCK_DGRAM => SocketKind.Datagram,
            Libc.SOCK_SEQPACKET => SocketKind.SeqPacket,
            Libc.SOCK_RAW => SocketKind.Raw,
            _ => SocketKind.Other,
        };
        facts = new SocketFacts(d, domain, k, type, protocol, listening != 0);
        return 0;
    }

    private static int GetIntOption(int fd, int name, int* value)
    {
        *value = 0;
        uint len = sizeof(int);
        return Libc.getsockopt(fd, Libc.SOL_SOCKET, name, value, &len) < 0 ? Fail() : 0;
    }

    public int SetCloseOnExec(SocketHandle socket)
    {
        int flags = Libc.fcntl(socket.Fd, Libc.F_GETFD, 0);
        if (flags < 0) return Fail();
        if ((flags & Libc.FD_CLOEXEC) != 0) return 0;
        return Libc.fcntl(socket.Fd, Libc.F_SETFD, flags | Libc.FD_CLOEXEC) < 0 ? Fail() : 0;
    }

    public int SetNonBlocking(SocketHandle socket)
    {
        int flags = Libc.fcntl(socket.Fd, Libc.F_GETFL, 0);
        if (flags < 0) return Fail();
        if ((flags & Libc.O_NONBLOCK) != 0) return 0;
        return Libc.fcntl(socket.Fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0 ? Fail() : 0;
    }

    public string? DescribeDescriptor(SocketHandle socket)
    {
        byte* target = stackalloc byte[512];
        fixed (byte* path = CString($"/proc/self/fd/{socket.Fd}"))
        {
            nint len = Libc.readlink(path, target, 512);
            return len <= 0 ? null : System.Text.Encoding.UTF8.GetString(target, (int)len);
        }
    }

    public ProcessIdentity GetIdentity() => new(Libc.getuid(), Libc.geteuid(), Libc.getgid(), Libc.getegid());

    public int SetGroups(uint[] groups)
    {
        fixed (uint* p = groups)
            return Libc.setgroups((nuint)groups.Length, p) < 0 ? Fail() : 0;
    }

    public int SetGid(uint gid) => Libc.setgid(gid) < 0 ? Fail() : 0;

    public int SetUid(uint uid) => Libc.setuid(uid) < 0 ? Fail() : 0;

    public int Select(int nfds, LargeFdSet readfds, LargeFdSet writefds, long timeoutMicros)
    {
        // The kernel writes ceil(nfds/64) words of each set: never hand it fewer.
        int words = (int)(((long)nfds + 63) >> 6);
        if (nfds < 0 || words > readfds.AllocatedWords || words > writefds.AllocatedWords) return -Errno.EINVAL;
        // A fresh timeval on every call: Linux writes the time left back into it.
        TimeVal tv = TimeVal.FromMicroseconds(timeoutMicros < 0 ? 0 : timeoutMicros);
        fixed (ulong* r = readfds.Words)
        fixed (ulong* w = writefds.Words)
        {
            int n = Libc.select(nfds, r, w, null, timeoutMicros < 0 ? null : &tv);
            return n < 0 ? Fail() : n;
        }
    }

    private static void CheckRange(byte[] buffer, int offset, int count)
    {
        if ((uint)offset > (uint)buffer.Length || (uint)count > (uint)(buffer.Length - offset))
            throw new ArgumentOutOfRangeException(nameof(count));
    }

    /// <summary>Writes the sockaddr for an address into ss and returns its length.</summary>
    public static uint ToSockAddr(in NetAddress address, SockAddrStorage* ss)
    {
        *ss = default;
        if (address.Family == AddressFamilyKind.IPv6)
        {
            var s6 = (SockAddrIn6*)ss;
            s6->sin6_family = Libc.AF_INET6;
            s6->sin6_port = BinaryPrimitives.ReverseEndianness(address.Port);
            s6->sin6_scope_id = address.ScopeId;
            address.ReadOnlyBytes.CopyTo(new Span<byte>(s6->sin6_addr, 16));
            return (uint)sizeof(SockAddrIn6);
        }
        var s4 = (SockAddrIn*)ss;
        s4->sin_family = Libc.AF_INET;
        s4->sin_port = BinaryPrimitives.ReverseEndianness(address.Port);
        address.ReadOnlyBytes.CopyTo(new Span<byte>(&s4->sin_addr, 4));
        return (uint)sizeof(SockAddrIn);
    }

    public static NetAddress FromSockAddr(SockAddrStorage* ss)
    {
        if (ss->ss_family == Libc.AF_INET6)
        {
            var s6 = (SockAddrIn6*)ss;
            return NetAddress.IPv6(new ReadOnlySpan<byte>(s6->sin6_addr, 16),
                BinaryPrimitives.ReverseEndianness(s6->sin6_port), s6->sin6_scope_id);
        }
        if (ss->ss_family == Libc.AF_INET)
        {
            var s4 = (SockAddrIn*)ss;
            byte* a = (byte*)&s4->sin_addr;
            return NetAddress.IPv4(a[0], a[1], a[2], a[3], BinaryPrimitives.ReverseEndianness(s4->sin_port));
        }
        return default;
    }
}
