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
        #include <sys/socket.h>
        #include <sys/uio.h>
        #include <sys/time.h>
        #include <sys/resource.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <fcntl.h>
        #include <errno.h>
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
        SockAddrStorage ss = default; RLimit rl = default;
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
        list.Add(("RLIM_INFINITY_u64", "RLIM_INFINITY == (rlim_t)-1", RLimit.RLIM_INFINITY == ulong.MaxValue ? 1 : 0));
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
    }

    [Fact]
    public void Blittable_structs_have_no_references() =>
        Assert.All(new[] { typeof(FdSet), typeof(TimeVal), typeof(SockAddrIn), typeof(SockAddrIn6), typeof(SockAddrStorage), typeof(RLimit), typeof(IoVec), typeof(MsgHdr), typeof(MMsgHdr), typeof(NetAddress) },
            t => Assert.False((bool)typeof(RuntimeHelpers).GetMethod(nameof(RuntimeHelpers.IsReferenceOrContainsReferences))!.MakeGenericMethod(t).Invoke(null, null)!));
}
