using System.Diagnostics;
using System.Reflection;
using System.Text;
using RawSelect.Interop.Windows;

namespace RawSelect.Tests.Windows;

/// <summary>
/// Every Winsock struct size and field offset, and every constant, checked twice:
/// <list type="number">
/// <item>against the numbers the Windows SDK headers fix for 64-bit Windows, written down here
/// with their source (always runs);</item>
/// <item>against a real set of Windows headers, MinGW-w64's, by compiling static assertions with
/// x86_64-w64-mingw32-gcc (runs where that cross compiler is installed: Debian package
/// gcc-mingw-w64-x86-64-win32; skipped with that reason elsewhere).</item>
/// </list>
/// A wrong number here would corrupt memory or misread a set under Winsock, silently; this makes
/// it a failed test, on Linux, before anything runs on Windows.
/// </summary>
public unsafe class WindowsLayoutTests
{
    private struct AlignProbe
    {
        public byte Before;
        public SockAddrStorage Storage;
    }

    /// <summary>(probe name, C expression, the C# value, the documented value and its source).</summary>
    public static List<(string Name, string CExpr, long CSharp, long Documented)> StructProbes()
    {
        FdSet fs = default; TimeVal tv = default; SockAddrIn s4 = default; SockAddrIn6 s6 = default;
        SockAddrStorage ss = default; WsaData wd = default; AlignProbe ap = default;
        static long Off(void* field, void* s) => (byte*)field - (byte*)s;
        byte* fsArray = (byte*)&fs + sizeof(uint);
        // fd_array is private; find it as FD_SET would write it: the first entry after Add.
        fs.Add(unchecked((nuint)0x0102030405060708UL));
        for (int i = 0; i < sizeof(FdSet); i++)
            if (*(ulong*)((byte*)&fs + i) == 0x0102030405060708UL) { fsArray = (byte*)&fs + i; break; }

        return
        [
            // winsock2.h: typedef struct fd_set { u_int fd_count; SOCKET fd_array[FD_SETSIZE]; } fd_set;
            // SOCKET = UINT_PTR (8 bytes on Win64), so 4 bytes of padding after fd_count.
            ("sizeof_fd_set", "sizeof(fd_set)", sizeof(FdSet), 8 + 8 * 1024),
            ("offsetof_fd_set_fd_count", "offsetof(fd_set, fd_count)", Off(&fs.fd_count, &fs), 0),
            ("offsetof_fd_set_fd_array", "offsetof(fd_set, fd_array)", Off(fsArray, &fs), 8),
            ("FD_SETSIZE", "FD_SETSIZE", FdSet.Size, 1024),
            // winsock2.h: struct timeval { long tv_sec; long tv_usec; }; long is 32 bits (LLP64).
            ("sizeof_timeval", "sizeof(struct timeval)", sizeof(TimeVal), 8),
            ("offsetof_timeval_tv_sec", "offsetof(struct timeval, tv_sec)", Off(&tv.tv_sec, &tv), 0),
            ("offsetof_timeval_tv_usec", "offsetof(struct timeval, tv_usec)", Off(&tv.tv_usec, &tv), 4),
            // ws2def.h: SOCKADDR_IN { ADDRESS_FAMILY sin_family; USHORT sin_port; IN_ADDR sin_addr; CHAR sin_zero[8]; }
            ("sizeof_sockaddr_in", "sizeof(struct sockaddr_in)", sizeof(SockAddrIn), 16),
            ("offsetof_sockaddr_in_sin_family", "offsetof(struct sockaddr_in, sin_family)", Off(&s4.sin_family, &s4), 0),
            ("offsetof_sockaddr_in_sin_port", "offsetof(struct sockaddr_in, sin_port)", Off(&s4.sin_port, &s4), 2),
            ("offsetof_sockaddr_in_sin_addr", "offsetof(struct sockaddr_in, sin_addr)", Off(&s4.sin_addr, &s4), 4),
            ("offsetof_sockaddr_in_sin_zero", "offsetof(struct sockaddr_in, sin_zero)", Off(s4.sin_zero, &s4), 8),
            // ws2ipdef.h: SOCKADDR_IN6_LH { ADDRESS_FAMILY sin6_family; USHORT sin6_port; ULONG sin6_flowinfo;
            //             IN6_ADDR sin6_addr; union { ULONG sin6_scope_id; SCOPE_ID sin6_scope_struct; }; }
            ("sizeof_sockaddr_in6", "sizeof(struct sockaddr_in6)", sizeof(SockAddrIn6), 28),
            ("offsetof_sockaddr_in6_sin6_family", "offsetof(struct sockaddr_in6, sin6_family)", Off(&s6.sin6_family, &s6), 0),
            ("offsetof_sockaddr_in6_sin6_port", "offsetof(struct sockaddr_in6, sin6_port)", Off(&s6.sin6_port, &s6), 2),
            ("offsetof_sockaddr_in6_sin6_flowinfo", "offsetof(struct sockaddr_in6, sin6_flowinfo)", Off(&s6.sin6_flowinfo, &s6), 4),
            ("offsetof_sockaddr_in6_sin6_addr", "offsetof(struct sockaddr_in6, sin6_addr)", Off(s6.sin6_addr, &s6), 8),
            ("offsetof_sockaddr_in6_sin6_scope_id", "offsetof(struct sockaddr_in6, sin6_scope_id)", Off(&s6.sin6_scope_id, &s6), 24),
            // ws2def.h: SOCKADDR_STORAGE_LH { ADDRESS_FAMILY ss_family; CHAR __ss_pad1[6]; __int64 __ss_align; CHAR __ss_pad2[112]; }
            ("sizeof_sockaddr_storage", "sizeof(SOCKADDR_STORAGE)", sizeof(SockAddrStorage), 128),
            ("offsetof_sockaddr_storage_ss_family", "offsetof(SOCKADDR_STORAGE, ss_family)", Off(&ss.ss_family, &ss), 0),
            ("offsetof_sockaddr_storage___ss_pad1", "offsetof(SOCKADDR_STORAGE, __ss_pad1)", Off(ss.__ss_pad1, &ss), 2),
            ("offsetof_sockaddr_storage___ss_align", "offsetof(SOCKADDR_STORAGE, __ss_align)", Off(&ss.__ss_align, &ss), 8),
            ("offsetof_sockaddr_storage___ss_pad2", "offsetof(SOCKADDR_STORAGE, __ss_pad2)", Off(ss.__ss_pad2, &ss), 16),
            ("alignof_sockaddr_storage", "_Alignof(SOCKADDR_STORAGE)", Off(&ap.Storage, &ap), 8),
            // winsock2.h, the _WIN64 branch of struct WSAData.
            ("sizeof_wsadata", "sizeof(WSADATA)", sizeof(WsaData), 408),
            ("offsetof_wsadata_wVersion", "offsetof(WSADATA, wVersion)", Off(&wd.wVersion, &wd), 0),
            ("offsetof_wsadata_wHighVersion", "offsetof(WSADATA, wHighVersion)", Off(&wd.wHighVersion, &wd), 2),
            ("offsetof_wsadata_iMaxSockets", "offsetof(WSADATA, iMaxSockets)", Off(&wd.iMaxSockets, &wd), 4),
            ("offsetof_wsadata_iMaxUdpDg", "offsetof(WSADATA, iMaxUdpDg)", Off(&wd.iMaxUdpDg, &wd), 6),
            ("offsetof_wsadata_lpVendorInfo", "offsetof(WSADATA, lpVendorInfo)", Off(&wd.lpVendorInfo, &wd), 8),
            ("offsetof_wsadata_szDescription", "offsetof(WSADATA, szDescription)", Off(wd.szDescription, &wd), 16),
            ("offsetof_wsadata_szSystemStatus", "offsetof(WSADATA, szSystemStatus)", Off(wd.szSystemStatus, &wd), 273),
        ];
    }

    /// <summary>
    /// Constants as the Windows SDK defines them (winsock2.h, ws2def.h, ws2ipdef.h, mstcpip.h,
    /// winerror.h). The ones that differ from Linux are the reason this table exists.
    /// </summary>
    public static readonly Dictionary<string, long> DocumentedConstants = new()
    {
        ["AF_INET"] = 2, ["AF_INET6"] = 23,
        ["SOCK_STREAM"] = 1, ["SOCK_DGRAM"] = 2,
        ["IPPROTO_TCP"] = 6, ["IPPROTO_UDP"] = 17, ["IPPROTO_IPV6"] = 41,
        ["SOL_SOCKET"] = 0xffff, ["SO_REUSEADDR"] = 4, ["SO_EXCLUSIVEADDRUSE"] = -5,
        ["SO_SNDBUF"] = 0x1001, ["SO_RCVBUF"] = 0x1002, ["SO_OOBINLINE"] = 0x0100, ["TCP_NODELAY"] = 1, ["IPV6_V6ONLY"] = 27,
        ["FIONBIO"] = unchecked((int)0x8004667E), ["SIO_UDP_CONNRESET"] = 0x9800000C,
        ["WSA_FLAG_OVERLAPPED"] = 1, ["WSA_FLAG_NO_HANDLE_INHERIT"] = 0x80,
        ["SD_RECEIVE"] = 0, ["SD_SEND"] = 1, ["SD_BOTH"] = 2,
        ["SOCKET_ERROR"] = -1, ["WSADESCRIPTION_LEN"] = 256, ["WSASYS_STATUS_LEN"] = 128,
        ["WSABASEERR"] = 10000, ["WSAEINTR"] = 10004, ["WSAEBADF"] = 10009, ["WSAEACCES"] = 10013,
        ["WSAEFAULT"] = 10014, ["WSAEINVAL"] = 10022, ["WSAEMFILE"] = 10024, ["WSAEWOULDBLOCK"] = 10035,
        ["WSAEINPROGRESS"] = 10036, ["WSAEALREADY"] = 10037, ["WSAENOTSOCK"] = 10038,
        ["WSAEDESTADDRREQ"] = 10039, ["WSAEMSGSIZE"] = 10040, ["WSAEPROTOTYPE"] = 10041,
        ["WSAENOPROTOOPT"] = 10042, ["WSAEPROTONOSUPPORT"] = 10043, ["WSAESOCKTNOSUPPORT"] = 10044,
        ["WSAEOPNOTSUPP"] = 10045, ["WSAEPFNOSUPPORT"] = 10046, ["WSAEAFNOSUPPORT"] = 10047,
        ["WSAEADDRINUSE"] = 10048, ["WSAEADDRNOTAVAIL"] = 10049, ["WSAENETDOWN"] = 10050,
        ["WSAENETUNREACH"] = 10051, ["WSAENETRESET"] = 10052, ["WSAECONNABORTED"] = 10053,
        ["WSAECONNRESET"] = 10054, ["WSAENOBUFS"] = 10055, ["WSAEISCONN"] = 10056,
        ["WSAENOTCONN"] = 10057, ["WSAESHUTDOWN"] = 10058, ["WSAETOOMANYREFS"] = 10059,
        ["WSAETIMEDOUT"] = 10060, ["WSAECONNREFUSED"] = 10061, ["WSAELOOP"] = 10062,
        ["WSAENAMETOOLONG"] = 10063, ["WSAEHOSTDOWN"] = 10064, ["WSAEHOSTUNREACH"] = 10065,
        ["WSAENOTEMPTY"] = 10066, ["WSAEPROCLIM"] = 10067, ["WSASYSNOTREADY"] = 10091,
        ["WSAVERNOTSUPPORTED"] = 10092, ["WSANOTINITIALISED"] = 10093, ["WSAEDISCON"] = 10101,
        ["WSA_INVALID_HANDLE"] = 6, ["WSA_NOT_ENOUGH_MEMORY"] = 8, ["WSA_INVALID_PARAMETER"] = 87,
        ["WSA_OPERATION_ABORTED"] = 995,
        ["FD_SETSIZE"] = 1024, // ours (see Ws2_32.FD_SETSIZE); winsock2.h's default is 64
        ["FD_SETSIZE_DEFAULT"] = 64,
        ["WINSOCK_VERSION_2_2"] = 0x0202, // MAKEWORD(2, 2)
    };

    /// <summary>Our constants with no macro of that name in the headers, and the C expression that stands for them.</summary>
    private static readonly Dictionary<string, string> CSpelling = new()
    {
        ["FD_SETSIZE_DEFAULT"] = "64 /* winsock2.h: #ifndef FD_SETSIZE / #define FD_SETSIZE 64 */",
        ["WINSOCK_VERSION_2_2"] = "MAKEWORD(2, 2)",
    };

    /// <summary>Every public constant of Ws2_32 (int, uint, ushort), found by reflection so none is forgotten.</summary>
    public static IEnumerable<(string Name, long Value)> Constants() =>
        typeof(Ws2_32).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType != typeof(string)) // Name = "ws2_32"
            .Select(f => (f.Name, f.GetRawConstantValue() switch
            {
                int i => (long)i,
                uint u => (long)u,
                ushort s => (long)s,
                object o => throw new InvalidOperationException($"{f.Name}: unexpected constant type {o.GetType()}"),
                null => throw new InvalidOperationException(f.Name),
            }));

    public static IEnumerable<object[]> StructCases() => StructProbes().Select(p => new object[] { p.Name });

    [Theory]
    [MemberData(nameof(StructCases))]
    public void Struct_layout_matches_the_Windows_headers(string probe)
    {
        var p = StructProbes().Single(x => x.Name == probe);
        Assert.Equal(p.Documented, p.CSharp);
    }

    [Fact]
    public void Every_constant_matches_the_Windows_headers()
    {
        var declared = Constants().ToList();
        Assert.NotEmpty(declared);
        foreach ((string name, long value) in declared)
        {
            Assert.True(DocumentedConstants.TryGetValue(name, out long doc), $"{name} has no documented value in this test: add it with its source");
            Assert.True(doc == value, $"{name}: declared {value}, the headers say {doc}");
        }
    }

    [Fact]
    public void INVALID_SOCKET_is_all_ones_never_negative()
    {
        Assert.Equal(nuint.MaxValue, Ws2_32.INVALID_SOCKET);
        Assert.Equal(8, sizeof(nuint)); // SOCKET is UINT_PTR: these layouts are the 64-bit ones
    }

    [MinGwFact]
    public void Every_struct_and_constant_matches_MinGW_w64s_Windows_headers()
    {
        var c = new StringBuilder();
        c.AppendLine("""
            #define FD_SETSIZE 1024
            #include <winsock2.h>
            #include <ws2tcpip.h>
            #include <mswsock.h>
            #include <stddef.h>
            """);
        foreach (var p in StructProbes())
            c.AppendLine($"_Static_assert((long long)({p.CExpr}) == {p.CSharp}LL, \"{p.Name}: C# says {p.CSharp}\");");
        foreach ((string name, long value) in Constants())
        {
            string expr = CSpelling.TryGetValue(name, out string? e) ? e : name;
            // Compared as 32-bit patterns: FIONBIO is unsigned in the headers, an int in C#.
            c.AppendLine($"_Static_assert((unsigned int)({expr}) == (unsigned int)({value}LL), \"{name}: C# says {value}\");");
        }

        string dir = Directory.CreateTempSubdirectory("rawselect-winlayout-").FullName;
        try
        {
            string src = Path.Combine(dir, "probe.c");
            File.WriteAllText(src, c.ToString());
            var psi = new ProcessStartInfo(MinGwFactAttribute.Compiler!) { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add("-fsyntax-only");
            psi.ArgumentList.Add(src);
            using var proc = Process.Start(psi)!;
            Task<string> err = proc.StandardError.ReadToEndAsync();
            string output = proc.StandardOutput.ReadToEnd();
            Assert.True(proc.WaitForExit(60_000), "the MinGW compiler did not finish in 60 s");
            Assert.True(proc.ExitCode == 0, $"the headers disagree:\n{output}{err.Result}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>Runs where the MinGW-w64 cross compiler is installed; otherwise skipped, saying how to get it.</summary>
public sealed class MinGwFactAttribute : FactAttribute
{
    public static readonly string? Compiler =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "x86_64-w64-mingw32-gcc"))
            .FirstOrDefault(File.Exists);

    public MinGwFactAttribute()
    {
        if (Compiler is null)
            Skip = "x86_64-w64-mingw32-gcc is not installed (apt-get install gcc-mingw-w64-x86-64-win32): the Winsock layouts are still checked against the documented numbers";
    }
}
