using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Layout;

/// <summary>
/// Every struct size and field offset and every constant we declare for Linux, checked against
/// what gcc sees in the real headers. A wrong number here would corrupt memory or misread errors
/// silently at run time; this makes it a failed test instead.
/// </summary>
public unsafe class LinuxLayoutTests
{
    internal const string Includes = """
        #define _GNU_SOURCE
        #include <sys/select.h>
        #include <poll.h>
        #include <sys/epoll.h>
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <sys/time.h>
        #include <sys/resource.h>
        #include <sys/stat.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <fcntl.h>
        #include <errno.h>
        #include <sched.h>
        #include <linux/filter.h>
        #include <sys/ioctl.h>
        #include <linux/sockios.h>
        """;

    private static readonly Lazy<Dictionary<string, long>> Probe = new(() =>
        CHeaderProbe.Run(Includes, StructProbes().Select(p => (p.Name, p.CExpr)).Concat(Constants().Select(c => (c.Name, c.Name)))));

    /// <summary>
    /// The C# side of every probe, for the architecture whose headers it is compared with (this
    /// process's by default; the cross-architecture probe passes its own): struct epoll_event is
    /// packed on x86-64 only, so its size and data offset differ between x86-64 and arm64.
    /// </summary>
    public static List<(string Name, string CExpr, long CSharp)> StructProbes() => StructProbes(RuntimeInformation.ProcessArchitecture);

    public static List<(string Name, string CExpr, long CSharp)> StructProbes(Architecture arch)
    {
        var list = new List<(string, string, long)>();
        TimeVal tv = default; IoVec iov = default; MsgHdr mh = default; MMsgHdr mm = default; SockAddrIn s4 = default; SockAddrIn6 s6 = default;
        SockAddrStorage ss = default; RLimit rl = default; PollFd pfd = default; EpollEvent.X64 ex = default; EpollEvent.Arm64 ea = default;
        static long Off(void* field, void* s) => (byte*)field - (byte*)s;

        list.Add(("sizeof_fd_set", "sizeof(fd_set)", sizeof(FdSet)));
        list.Add(("sizeof_timeval", "sizeof(struct timeval)", sizeof(TimeVal)));
        list.Add(("offsetof_timeval_tv_sec", "offsetof(struct timeval, tv_sec)", Off(&tv.tv_sec, &tv)));
        list.Add(("offsetof_timeval_tv_usec", "offsetof(struct timeval, tv_usec)", Off(&tv.tv_usec, &tv)));
        list.Add(("sizeof_sockaddr_in", "sizeof(struct sockaddr_in)", sizeof(SockAddrIn)));
        list.Add(("offsetof_sockaddr_in_sin_family", "offsetof(struct sockaddr_in, sin_family)", Off(&s4.sin_family, &s4)));
        list.Add(("offsetof_sockaddr_in_sin_port", "offsetof(struct sockaddr_in, sin_port)", Off(&s4.sin_port, &s4)));
        list.Add(("offsetof_sockaddr_in_sin_addr", "offsetof(struct sockaddr_in, sin_addr)", Off(&s4.sin_addr, &s4)));
        list.Add(("offsetof_sockaddr_in_sin_zero", "offsetof(struct sockaddr_in, sin_zero)", Off(s4.sin_zero, &s4)));
        list.Add(("sizeof_sockaddr_in6", "sizeof(struct sockaddr_in6)", sizeof(SockAddrIn6)));
        list.Add(("offsetof_sockaddr_in6_sin6_family", "offsetof(struct sockaddr_in6, sin6_family)", Off(&s6.sin6_family, &s6)));
        list.Add(("offsetof_sockaddr_in6_sin6_port", "offsetof(struct sockaddr_in6, sin6_port)", Off(&s6.sin6_port, &s6)));
        list.Add(("offsetof_sockaddr_in6_sin6_flowinfo", "offsetof(struct sockaddr_in6, sin6_flowinfo)", Off(&s6.sin6_flowinfo, &s6)));
        list.Add(("offsetof_sockaddr_in6_sin6_addr", "offsetof(struct sockaddr_in6, sin6_addr)", Off(s6.sin6_addr, &s6)));
        list.Add(("offsetof_sockaddr_in6_sin6_scope_id", "offsetof(struct sockaddr_in6, sin6_scope_id)", Off(&s6.sin6_scope_id, &s6)));
        list.Add(("sizeof_sockaddr_storage", "sizeof(struct sockaddr_storage)", sizeof(SockAddrStorage)));
        list.Add(("offsetof_sockaddr_storage_ss_family", "offsetof(struct sockaddr_storage, ss_family)", Off(&ss.ss_family, &ss)));
        list.Add(("alignof_sockaddr_storage", "_Alignof(struct sockaddr_storage)", 8));
        list.Add(("sizeof_rlimit", "sizeof(struct rlimit)", sizeof(RLimit)));
        list.Add(("offsetof_rlimit_rlim_max", "offsetof(struct rlimit, rlim_max)", Off(&rl.rlim_max, &rl)));
        list.Add(("sizeof_iovec", "sizeof(struct iovec)", sizeof(IoVec)));
        list.Add(("offsetof_iovec_iov_len", "offsetof(struct iovec, iov_len)", Off(&iov.iov_len, &iov)));
        list.Add(("sizeof_msghdr", "sizeof(struct msghdr)", sizeof(MsgHdr)));
        list.Add(("offsetof_msghdr_msg_namelen", "offsetof(struct msghdr, msg_namelen)", Off(&mh.msg_namelen, &mh)));
        list.Add(("offsetof_msghdr_msg_iov", "offsetof(struct msghdr, msg_iov)", Off(&mh.msg_iov, &mh)));
        list.Add(("offsetof_msghdr_msg_iovlen", "offsetof(struct msghdr, msg_iovlen)", Off(&mh.msg_iovlen, &mh)));
        list.Add(("offsetof_msghdr_msg_control", "offsetof(struct msghdr, msg_control)", Off(&mh.msg_control, &mh)));
        list.Add(("offsetof_msghdr_msg_controllen", "offsetof(struct msghdr, msg_controllen)", Off(&mh.msg_controllen, &mh)));
        list.Add(("offsetof_msghdr_msg_flags", "offsetof(struct msghdr, msg_flags)", Off(&mh.msg_flags, &mh)));
        list.Add(("sizeof_mmsghdr", "sizeof(struct mmsghdr)", sizeof(MMsgHdr)));
        list.Add(("offsetof_mmsghdr_msg_len", "offsetof(struct mmsghdr, msg_len)", Off(&mm.msg_len, &mm)));
        Stat st = default;
        list.Add(("offsetof_stat_st_dev", "offsetof(struct stat, st_dev)", Off(&st.st_dev, &st)));
        list.Add(("offsetof_stat_st_ino", "offsetof(struct stat, st_ino)", Off(&st.st_ino, &st)));
        list.Add(("sizeof_stat_st_ino", "sizeof(((struct stat *)0)->st_ino)", sizeof(ulong)));
        list.Add(("stat_fits", $"sizeof(struct stat) <= {sizeof(Stat)}", 1));
        list.Add(("RLIM_INFINITY_u64", "RLIM_INFINITY == (rlim_t)-1", RLimit.RLIM_INFINITY == ulong.MaxValue ? 1 : 0));
        list.Add(("sizeof_pollfd", "sizeof(struct pollfd)", sizeof(PollFd)));
        list.Add(("offsetof_pollfd_fd", "offsetof(struct pollfd, fd)", Off(&pfd.fd, &pfd)));
        list.Add(("offsetof_pollfd_events", "offsetof(struct pollfd, events)", Off(&pfd.events, &pfd)));
        list.Add(("offsetof_pollfd_revents", "offsetof(struct pollfd, revents)", Off(&pfd.revents, &pfd)));
        list.Add(("sizeof_pollfd_events", "sizeof(((struct pollfd *)0)->events)", sizeof(short)));
        list.Add(("sizeof_nfds_t", "sizeof(nfds_t)", sizeof(ulong)));
        SockFilter sf = default; SockFprog sp = default;
        list.Add(("sizeof_sock_filter", "sizeof(struct sock_filter)", sizeof(SockFilter)));
        list.Add(("offsetof_sock_filter_jt", "offsetof(struct sock_filter, jt)", Off(&sf.jt, &sf)));
        list.Add(("offsetof_sock_filter_jf", "offsetof(struct sock_filter, jf)", Off(&sf.jf, &sf)));
        list.Add(("offsetof_sock_filter_k", "offsetof(struct sock_filter, k)", Off(&sf.k, &sf)));
        list.Add(("sizeof_sock_fprog", "sizeof(struct sock_fprog)", sizeof(SockFprog)));
        list.Add(("offsetof_sock_fprog_filter", "offsetof(struct sock_fprog, filter)", Off(&sp.filter, &sp)));
        bool packed = arch == Architecture.X64;
        list.Add(("sizeof_epoll_event", "sizeof(struct epoll_event)", packed ? sizeof(EpollEvent.X64) : sizeof(EpollEvent.Arm64)));
        list.Add(("offsetof_epoll_event_events", "offsetof(struct epoll_event, events)", packed ? Off(&ex.events, &ex) : Off(&ea.events, &ea)));
        list.Add(("offsetof_epoll_event_data", "offsetof(struct epoll_event, data)", packed ? Off(&ex.data, &ex) : Off(&ea.data, &ea)));
        list.Add(("sizeof_epoll_data", "sizeof(epoll_data_t)", sizeof(ulong)));
        return list;
    }

    /// <summary>Every public const int of Libc and Errno, found by reflection so none can be forgotten.</summary>
    public static IEnumerable<(string Name, long Value)> Constants() =>
        typeof(Libc).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Concat(typeof(Errno).GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => (f.Name, (long)(int)f.GetRawConstantValue()!));

    public static IEnumerable<object[]> StructCases() => StructProbes().Select(p => new object[] { p.Name, p.CSharp });

    public static IEnumerable<object[]> ConstantCases() => Constants().Select(c => new object[] { c.Name, c.Value });

    [Theory]
    [MemberData(nameof(StructCases))]
    public void Struct_layout_matches_the_C_headers(string name, long csharp) =>
        Assert.Equal(Probe.Value[name], csharp);

    [Theory]
    [MemberData(nameof(ConstantCases))]
    public void Constant_matches_the_C_headers(string name, long csharp) =>
        Assert.Equal(Probe.Value[name], csharp);

    [Fact]
    public void Every_constant_is_probed()
    {
        Assert.True(Constants().Count() >= 50, "the reflection found suspiciously few constants");
        Assert.Contains(Constants(), c => c.Name == "MSG_NOSIGNAL");
        Assert.Contains(Constants(), c => c.Name == "ECONNRESET");
        foreach (string name in new[] { "POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLPRI", "EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLPRI", "EPOLL_CTL_ADD", "EPOLL_CTL_MOD", "EPOLL_CTL_DEL", "EPOLL_CLOEXEC" })
            Assert.Contains(Constants(), c => c.Name == name);
    }

    [Fact]
    public void The_epoll_event_layout_chosen_at_run_time_is_the_one_for_this_architecture()
    {
        // What UnixEpollApi hands the kernel: the packed declaration on x86-64, the natural one elsewhere.
        Assert.Equal(RuntimeInformation.ProcessArchitecture == Architecture.X64, EpollEvent.Packed);
        Assert.Equal(Probe.Value["sizeof_epoll_event"], EpollEvent.Packed ? sizeof(EpollEvent.X64) : sizeof(EpollEvent.Arm64));
    }

    [Fact]
    public void Both_epoll_event_declarations_have_the_documented_sizes()
    {
        // x86-64: __attribute__((packed)) (12 bytes, data at 4); arm64: natural alignment (16, data at 8).
        // The C side of the arm64 numbers is proven by the cross-architecture probe.
        var x64 = StructProbes(Architecture.X64).ToDictionary(p => p.Name, p => p.CSharp);
        var arm64 = StructProbes(Architecture.Arm64).ToDictionary(p => p.Name, p => p.CSharp);
        Assert.Equal((12, 4), (x64["sizeof_epoll_event"], x64["offsetof_epoll_event_data"]));
        Assert.Equal((16, 8), (arm64["sizeof_epoll_event"], arm64["offsetof_epoll_event_data"]));
    }

    [Fact]
    public void Blittable_structs_have_no_references() =>
        Assert.All(new[] { typeof(FdSet), typeof(TimeVal), typeof(SockAddrIn), typeof(SockAddrIn6), typeof(SockAddrStorage), typeof(RLimit), typeof(IoVec), typeof(MsgHdr), typeof(MMsgHdr), typeof(NetAddress), typeof(PollFd), typeof(EpollEvent.X64), typeof(EpollEvent.Arm64) },
            t => Assert.False((bool)typeof(RuntimeHelpers).GetMethod(nameof(RuntimeHelpers.IsReferenceOrContainsReferences))!.MakeGenericMethod(t).Invoke(null, null)!));
}
