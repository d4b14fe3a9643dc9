using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Faults;

/// <summary>
/// How a loop of several binds (--loops N) when the kernel refuses a step, through the seam: the
/// SO_REUSEPORT option before a sibling's bind or after the first loop's, and the steering
/// program. A refusal is a bind error naming the call and the errno, with the socket closed; a
/// kernel without SO_ATTACH_REUSEPORT_CBPF only loses the steering, and says why.
/// </summary>
public class ReusePortBindFaultTests
{
    private static readonly NetAddress Address = NetAddress.IPv4Loopback(5555);

    private static (ISocketApi Api, Server Server) Rig()
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(50); ci[1] = Harness.Fd(51); return 0; });
        api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(60); return 0; });
        api.DescriptorLimit().Returns(1024);
        api.DescriptorsInUse().Returns(10);
        api.OpenSocket(AddressFamilyKind.IPv4, true, out Arg.Any<SocketHandle>()).Returns(ci => { ci[2] = Harness.Fd(20); return 0; });
        api.GetSockName(Harness.Fd(20), out Arg.Any<NetAddress>()).Returns(ci => { ci[1] = Address; return 0; });
        Options o = Options.Parse(["--tcp", "127.0.0.1:5555", "--no-udp"], socketsPassed: false, out string e)!;
        Assert.True(o is not null, e);
        var server = new Server(o, api, new SelectSelector(Substitute.For<ISelectApi>()), new Log(LogLevel.Quiet, Stream.Null));
        return (api, server);
    }

    private static ReusePortPlan Sibling() => ReusePortPlan.Join(2, [Address], []);

    [Fact]
    public void A_sibling_refused_SO_REUSEPORT_never_binds_and_names_the_call()
    {
        (ISocketApi api, Server server) = Rig();
        using var _ = server;
        api.SetOption(Harness.Fd(20), SocketOption.ReusePort, 1).Returns(-Errno.ENOPROTOOPT);

        Assert.Equal("cannot bind tcp 127.0.0.1:5555: setsockopt(SO_REUSEPORT): text (ENOPROTOOPT)", server.Bind(0, Sibling()));
        api.DidNotReceive().Bind(Harness.Fd(20), Arg.Any<NetAddress>());
        api.Received(1).Close(Harness.Fd(20));
    }

    [Fact]
    public void The_first_loop_binds_before_SO_REUSEPORT_and_a_refusal_after_the_bind_closes_the_socket()
    {
        (ISocketApi api, Server server) = Rig();
        using var _ = server;
        api.SetOption(Harness.Fd(20), SocketOption.ReusePort, 1).Returns(-Errno.EPERM);

        Assert.Equal("cannot bind tcp 127.0.0.1:5555: setsockopt(SO_REUSEPORT): text (EPERM)", server.Bind(0, ReusePortPlan.FirstOf(2)));
        Received.InOrder(() =>
        {
            api.Bind(Harness.Fd(20), Address);
            api.SetOption(Harness.Fd(20), SocketOption.ReusePort, 1);
            api.Close(Harness.Fd(20));
        });
        api.DidNotReceive().Listen(Harness.Fd(20), Arg.Any<int>());
    }

    [Theory]
    [InlineData(Errno.ENOPROTOOPT)]
    [InlineData(Errno.EINVAL)]
    [InlineData(Errno.ENOSYS)]
    public void A_kernel_without_the_steering_program_still_serves_and_says_why(int errno)
    {
        (ISocketApi api, Server server) = Rig();
        using var _ = server;
        api.SteerReusePortGroup(Harness.Fd(20), 2).Returns(-errno);

        Assert.Null(server.Bind(0, Sibling()));
        Assert.Contains(Errno.Name(errno)!, server.SteeringUnavailable);
        api.DidNotReceive().Close(Harness.Fd(20));
    }

    [Fact]
    public void Any_other_refusal_of_the_steering_program_is_a_bind_error()
    {
        (ISocketApi api, Server server) = Rig();
        using var _ = server;
        api.SteerReusePortGroup(Harness.Fd(20), 2).Returns(-Errno.ENOMEM);

        Assert.Equal("cannot bind tcp 127.0.0.1:5555: setsockopt(SO_ATTACH_REUSEPORT_CBPF): text (ENOMEM)", server.Bind(0, Sibling()));
        api.Received(1).Close(Harness.Fd(20));
        Assert.Null(server.SteeringUnavailable);
    }
}
