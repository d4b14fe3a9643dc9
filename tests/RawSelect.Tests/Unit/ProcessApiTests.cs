using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

/// <summary>The process half of the Unix seam against the real libc and kernel.</summary>
public unsafe partial class ProcessApiTests
{
    private static readonly UnixSocketApi Api = UnixSocketApi.Instance;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint getenv(string name);

    [Fact]
    public void UnsetEnvironment_removes_the_variable_from_environ_itself_and_from_the_runtime()
    {
        const string name = "RAWSELECT_TEST_LISTEN_FDS";
        Assert.Equal(0, setenv(name, "2", 1));
        Environment.SetEnvironmentVariable(name, "2");
        Assert.Equal("2", Api.GetEnvironment(name));

        Assert.Equal(0, Api.UnsetEnvironment(name));

        Assert.Equal(0, getenv(name));                      // what execve would pass on
        Assert.Null(Environment.GetEnvironmentVariable(name)); // what Process.Start would pass on
        Assert.Null(Api.GetEnvironment(name));
    }

    [Fact]
    public void ProcessId_is_getpid() => Assert.Equal(Environment.ProcessId, Api.ProcessId());

    [Fact]
    public void GetIdentity_is_what_the_kernel_reports_in_proc_status()
    {
        string[] status = File.ReadAllLines("/proc/self/status");
        uint[] Ids(string key) => status.First(l => l.StartsWith(key)).Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(uint.Parse).ToArray();
        uint[] uid = Ids("Uid:"), gid = Ids("Gid:");
        Assert.Equal(new ProcessIdentity(uid[0], uid[1], gid[0], gid[1]), Api.GetIdentity());
    }

    private static SocketFacts Query(Socket s)
    {
        Assert.Equal(0, Api.QuerySocket(SocketHandle.FromFd((int)s.Handle), out SocketFacts f));
        return f;
    }

    [Fact]
    public void QuerySocket_tells_a_tcp_listener_from_a_connection()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        SocketFacts before = Query(listener);
        Assert.Equal((SocketDomain.IPv4, SocketKind.Stream, SocketFacts.ProtocolTcp, false), (before.Domain, before.Kind, before.Protocol, before.Listening));
        listener.Listen();
        Assert.True(Query(listener).Listening);
    }

    [Fact]
    public void QuerySocket_names_udp_over_ipv6_and_unix_sockets()
    {
        using var udp = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        SocketFacts f = Query(udp);
        Assert.Equal((SocketDomain.IPv6, SocketKind.Datagram, SocketFacts.ProtocolUdp), (f.Domain, f.Kind, f.Protocol));

        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        f = Query(unix);
        Assert.Equal((SocketDomain.Unix, SocketKind.Stream), (f.Domain, f.Kind));
    }

    [Fact]
    public void QuerySocket_says_ENOTSOCK_for_a_file_and_EBADF_for_a_closed_descriptor()
    {
        using FileStream f = File.OpenRead("/proc/self/status");
        int fd = (int)f.SafeFileHandle.DangerousGetHandle();
        Assert.Equal(-Errno.ENOTSOCK, Api.QuerySocket(SocketHandle.FromFd(fd), out _));
        Assert.Equal($"/proc/{Environment.ProcessId}/status", Api.DescribeDescriptor(SocketHandle.FromFd(fd)));
        Assert.Equal(-Errno.EBADF, Api.QuerySocket(SocketHandle.FromFd(100_000), out _));
        Assert.Equal(-Errno.EBADF, Api.SetCloseOnExec(SocketHandle.FromFd(100_000)));
    }

    [Fact]
    public void SetCloseOnExec_and_SetNonBlocking_set_their_flag_each()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        int fd = (int)udp.Handle;
        Assert.Equal(0, Libc.fcntl(fd, Libc.F_SETFD, 0));
        Assert.Equal(0, Libc.fcntl(fd, Libc.F_SETFL, Libc.fcntl(fd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK));

        Assert.Equal(0, Api.SetCloseOnExec(SocketHandle.FromFd(fd)));
        Assert.Equal(0, Libc.fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK); // only the descriptor flag
        Assert.Equal(0, Api.SetNonBlocking(SocketHandle.FromFd(fd)));

        Assert.Equal(Libc.FD_CLOEXEC, Libc.fcntl(fd, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
        Assert.Equal(Libc.O_NONBLOCK, Libc.fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK);
    }
}
