using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Faults;

/// <summary>
/// sd_listen_fds(3) through the seam: the environment's every shape, and every kind of
/// descriptor a service manager (or a mistaken unit file) could hand over.
/// </summary>
public class SocketActivationFaultTests
{
    private static ISocketApi Env(string? pid, string? fds, string? names = null, int self = 4242)
    {
        var api = Substitute.For<ISocketApi>();
        api.ProcessId().Returns(self);
        api.GetEnvironment("LISTEN_PID").Returns(pid);
        api.GetEnvironment("LISTEN_FDS").Returns(fds);
        api.GetEnvironment("LISTEN_FDNAMES").Returns(names);
        api.ErrorText(Arg.Any<int>()).Returns("text");
        return api;
    }

    [Fact]
    public void Our_pid_and_a_count_pass_that_many_and_all_three_variables_are_removed()
    {
        ISocketApi api = Env("4242", "2", "a:b");
        Assert.Equal(2, SocketActivation.ReadEnvironment(api, out string? err));
        Assert.Null(err);
        api.Received(1).UnsetEnvironment("LISTEN_PID");
        api.Received(1).UnsetEnvironment("LISTEN_FDS");
        api.Received(1).UnsetEnvironment("LISTEN_FDNAMES");
        api.Received(1).SetCloseOnExec(Harness.Fd(3));
        api.Received(1).SetCloseOnExec(Harness.Fd(4));
        api.DidNotReceive().SetCloseOnExec(Harness.Fd(5));
    }

    [Fact]
    public void A_counted_descriptor_that_is_not_open_is_named_before_anything_can_take_its_number()
    {
        ISocketApi api = Env("4242", "3");
        api.SetCloseOnExec(Harness.Fd(4)).Returns(-Errno.EBADF);
        Assert.Equal(-1, SocketActivation.ReadEnvironment(api, out string? err));
        Assert.Equal("socket activation: descriptor 4 is not open (LISTEN_FDS=3 counts descriptors 3 to 5)", err);
    }

    [Theory]
    [InlineData(null, "2")]      // no LISTEN_PID: not activated
    [InlineData("1", "2")]       // another process's (a wrapper that forked, not exec'd)
    [InlineData("abc", "2")]     // names no process, so not ours
    [InlineData("-4242", "2")]
    [InlineData("4242", null)]   // ours, but nothing passed
    [InlineData("4242", "0")]
    public void Anything_not_for_us_passes_nothing_and_is_still_removed(string? pid, string? fds)
    {
        ISocketApi api = Env(pid, fds);
        Assert.Equal(0, SocketActivation.ReadEnvironment(api, out string? err));
        Assert.Null(err);
        api.Received(1).UnsetEnvironment("LISTEN_FDS");
    }

    [Fact]
    public void No_variables_at_all_touch_nothing()
    {
        ISocketApi api = Env(null, null);
        Assert.Equal(0, SocketActivation.ReadEnvironment(api, out _));
        api.DidNotReceive().UnsetEnvironment(Arg.Any<string>());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+2")]
    [InlineData(" 2")]
    [InlineData("2147483645")]          // 3 + N would overflow an int
    [InlineData("99999999999999999999")]
    [InlineData("")]
    public void A_malformed_LISTEN_FDS_for_us_is_one_line_naming_it(string fds)
    {
        ISocketApi api = Env("4242", fds);
        Assert.Equal(-1, SocketActivation.ReadEnvironment(api, out string? err));
        Assert.Contains($"LISTEN_FDS='{fds}'", err);
        Assert.DoesNotContain('\n', err!);
        api.Received(1).UnsetEnvironment("LISTEN_PID");
    }

    private static ISocketApi Descriptor(int queryResult, SocketFacts facts = default)
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        api.QuerySocket(Harness.Fd(3), out Arg.Any<SocketFacts>()).Returns(ci => { ci[1] = facts; return queryResult; });
        api.GetSockName(Harness.Fd(3), out Arg.Any<NetAddress>()).Returns(ci => { ci[1] = NetAddress.IPv4Loopback(7); return 0; });
        return api;
    }

    private static SocketFacts Facts(SocketDomain d, SocketKind k, int protocol, bool listening = false) =>
        new(d, d switch { SocketDomain.Unix => 1, SocketDomain.IPv4 => 2, SocketDomain.IPv6 => 10, _ => 16 }, k, (int)k, protocol, listening);

    [Fact]
    public void A_listening_tcp_socket_is_adopted_made_cloexec_and_nonblocking_with_its_address()
    {
        ISocketApi api = Descriptor(0, Facts(SocketDomain.IPv4, SocketKind.Stream, 6, listening: true));
        Assert.Null(SocketActivation.Adopt(api, Harness.Fd(3), out bool stream, out NetAddress a));
        Assert.True(stream);
        Assert.Equal("127.0.0.1:7", a.ToString());
        api.Received(1).SetNonBlocking(Harness.Fd(3));
    }

    [Fact]
    public void A_udp_socket_is_adopted_as_datagram()
    {
        ISocketApi api = Descriptor(0, Facts(SocketDomain.IPv6, SocketKind.Datagram, 17));
        Assert.Null(SocketActivation.Adopt(api, Harness.Fd(3), out bool stream, out _));
        Assert.False(stream);
    }

    [Fact]
    public void A_platform_that_cannot_name_the_protocol_is_trusted_on_type_alone()
    {
        ISocketApi api = Descriptor(0, Facts(SocketDomain.IPv4, SocketKind.Stream, -1, listening: true));
        Assert.Null(SocketActivation.Adopt(api, Harness.Fd(3), out _, out _));
    }

    public static IEnumerable<object[]> BadDescriptors() => new[]
    {
        new object[] { -Errno.ENOTSOCK, default(SocketFacts), "descriptor 3 is a pipe, not a socket" },
        new object[] { -Errno.ENOMEM, default(SocketFacts), "descriptor 3: getsockopt: text (ENOMEM)" },
        new object[] { 0, Facts(SocketDomain.Unix, SocketKind.Stream, 0, true), "descriptor 3 is a unix stream socket, not an AF_INET/AF_INET6 socket" },
        new object[] { 0, Facts(SocketDomain.Unix, SocketKind.Datagram, 0), "descriptor 3 is a unix datagram socket, not an AF_INET/AF_INET6 socket" },
        new object[] { 0, Facts(SocketDomain.Other, SocketKind.Datagram, 0), "descriptor 3 is a family 16 datagram socket, not an AF_INET/AF_INET6 socket" },
        new object[] { 0, Facts(SocketDomain.IPv4, SocketKind.Raw, 1), "descriptor 3 is an AF_INET raw socket, not a stream or datagram socket" },
        new object[] { 0, Facts(SocketDomain.IPv6, SocketKind.SeqPacket, 132), "descriptor 3 is an AF_INET6 seqpacket socket, not a stream or datagram socket" },
        new object[] { 0, Facts(SocketDomain.IPv4, SocketKind.Stream, 132, true), "descriptor 3 is an AF_INET stream socket of protocol 132, not TCP" },
        new object[] { 0, Facts(SocketDomain.IPv4, SocketKind.Datagram, 1), "descriptor 3 is an AF_INET datagram socket of protocol 1, not UDP" },
        new object[] { 0, Facts(SocketDomain.IPv4, SocketKind.Stream, 6, false), "descriptor 3 is an AF_INET stream socket that is not listening" },
    };

    [Theory]
    [MemberData(nameof(BadDescriptors))]
    public void Anything_but_an_inet_listener_or_udp_socket_is_refused_naming_the_descriptor(int query, SocketFacts facts, string expected)
    {
        ISocketApi api = Descriptor(query, facts);
        api.DescribeDescriptor(Harness.Fd(3)).Returns("pipe:[1234]");
        string? err = SocketActivation.Adopt(api, Harness.Fd(3), out _, out _);
        Assert.NotNull(err);
        Assert.StartsWith("socket activation: ", err);
        Assert.Contains(expected, err);
        Assert.DoesNotContain('\n', err!);
        api.DidNotReceive().SetNonBlocking(Arg.Any<SocketHandle>());
    }

    [Theory]
    [InlineData("/tmp/some file", "descriptor 3 is the file /tmp/some file, not a socket")]
    [InlineData("anon_inode:[eventfd]", "descriptor 3 is anon_inode:[eventfd], not a socket")]
    [InlineData(null, "descriptor 3 is something, not a socket")]
    [InlineData("/tmp/evil\nline", "the file /tmp/evil\\nline")]
    public void A_descriptor_that_is_not_a_socket_is_named_by_what_it_is(string? target, string expected)
    {
        ISocketApi api = Descriptor(-Errno.ENOTSOCK);
        api.DescribeDescriptor(Harness.Fd(3)).Returns(target);
        Assert.Contains(expected, SocketActivation.Adopt(api, Harness.Fd(3), out _, out _));
    }

    [Fact]
    public void Failing_getsockname_or_fcntl_are_errors_with_the_errno()
    {
        ISocketApi api = Descriptor(0, Facts(SocketDomain.IPv4, SocketKind.Datagram, 17));
        api.GetSockName(Harness.Fd(3), out Arg.Any<NetAddress>()).Returns(-Errno.ENOBUFS);
        Assert.Contains("getsockname: text (ENOBUFS)", SocketActivation.Adopt(api, Harness.Fd(3), out _, out _));

        api = Descriptor(0, Facts(SocketDomain.IPv4, SocketKind.Datagram, 17));
        api.SetNonBlocking(Harness.Fd(3)).Returns(-Errno.EBADF);
        Assert.Contains("fcntl(F_SETFL, O_NONBLOCK): text (EBADF)", SocketActivation.Adopt(api, Harness.Fd(3), out _, out _));
    }

    /// <summary>A whole server on the seam: two passed sockets and an explicit --tcp.</summary>
    [Fact]
    public void Passed_sockets_are_served_first_and_an_explicit_listener_is_bound_beside_them()
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(50); ci[1] = Harness.Fd(51); return 0; });
        api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(60); return 0; });
        api.DescriptorLimit().Returns(1024);
        api.DescriptorsInUse().Returns(10);
        api.QuerySocket(Harness.Fd(3), out Arg.Any<SocketFacts>()).Returns(ci => { ci[1] = Facts(SocketDomain.IPv6, SocketKind.Datagram, 17); return 0; });
        api.QuerySocket(Harness.Fd(4), out Arg.Any<SocketFacts>()).Returns(ci => { ci[1] = Facts(SocketDomain.IPv4, SocketKind.Stream, 6, true); return 0; });
        api.GetSockName(Harness.Fd(3), out Arg.Any<NetAddress>()).Returns(ci => { ci[1] = NetAddress.IPv6Loopback(7); return 0; });
        api.GetSockName(Harness.Fd(4), out Arg.Any<NetAddress>()).Returns(ci => { ci[1] = NetAddress.IPv4Loopback(7); return 0; });
        api.OpenSocket(AddressFamilyKind.IPv4, true, out Arg.Any<SocketHandle>()).Returns(ci => { ci[2] = Harness.Fd(20); return 0; });
        api.GetSockName(Harness.Fd(20), out Arg.Any<NetAddress>()).Returns(ci => { ci[1] = NetAddress.IPv4Loopback(5555); return 0; });

        Options o = Options.Parse(["--tcp", "127.0.0.1:5555", "--no-udp"], socketsPassed: true, out string e)!;
        Assert.True(o is not null, e);
        var selector = new SelectSelector(Substitute.For<ISelectApi>());
        using var server = new Server(o, api, selector, new Log(LogLevel.Quiet, Stream.Null));

        Assert.Null(server.Bind(2));
        Assert.Equal("listening udp [::1]:7\nlistening tcp 127.0.0.1:7\nlistening tcp 127.0.0.1:5555\n", server.ListeningLines());
        api.Received(1).SetNonBlocking(Harness.Fd(3));
        api.Received(1).SetNonBlocking(Harness.Fd(4));
        api.Received(1).SetOption(Harness.Fd(4), SocketOption.NoDelay, 1);
        api.DidNotReceive().Listen(Harness.Fd(4), Arg.Any<int>()); // it listens already
        Assert.Equal(1 + 3, selector.Count); // the wake-up pipe and three sockets
    }

    [Fact]
    public void A_bad_passed_socket_stops_the_bind_before_any_listener_of_our_own()
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(50); ci[1] = Harness.Fd(51); return 0; });
        api.QuerySocket(Harness.Fd(3), out Arg.Any<SocketFacts>()).Returns(-Errno.ENOTSOCK);
        Options o = Options.Parse(["--tcp", "127.0.0.1:5555"], socketsPassed: true, out _)!;
        using var server = new Server(o, api, new SelectSelector(Substitute.For<ISelectApi>()), new Log(LogLevel.Quiet, Stream.Null));

        Assert.Contains("descriptor 3 is something, not a socket", server.Bind(1));
        api.DidNotReceive().OpenSocket(Arg.Any<AddressFamilyKind>(), Arg.Any<bool>(), out Arg.Any<SocketHandle>());
    }
}
