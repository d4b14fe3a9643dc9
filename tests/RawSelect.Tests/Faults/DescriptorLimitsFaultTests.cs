using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

/// <summary>
/// Raising RLIMIT_NOFILE at start, through the seam: the soft limit goes to the hard one; when
/// setrlimit or getrlimit fails the server says so in one line and serves within what it has;
/// the selector's capacity follows the result or --fd-setsize, never above the limit.
/// </summary>
public class DescriptorLimitsFaultTests
{
    private readonly ISocketApi _api = Substitute.For<ISocketApi>();
    private readonly MemoryStream _err = new();
    private readonly Log _log;

    public DescriptorLimitsFaultTests()
    {
        _log = new Log(LogLevel.Info, _err);
        _api.ErrorText(Arg.Any<int>()).Returns("Operation not permitted");
    }

    private string Logged() => System.Text.Encoding.UTF8.GetString(_err.ToArray());

    private void Limits(long soft, long hard) =>
        _api.GetDescriptorLimits(out Arg.Any<long>(), out Arg.Any<long>()).Returns(ci => { ci[0] = soft; ci[1] = hard; return 0; });

    [Fact]
    public void The_soft_limit_is_raised_to_the_hard_one()
    {
        Limits(1024, 1_048_576);
        DescriptorLimits.Limits l = DescriptorLimits.Raise(_api, _log);
        _api.Received(1).SetDescriptorLimits(1_048_576, 1_048_576);
        Assert.Equal(new DescriptorLimits.Limits(1024, 1_048_576, 1_048_576), l);
        Assert.Equal(1_048_576, DescriptorLimits.Capacity(0, l, windows: false, out _));
        Assert.Equal("", Logged());
    }

    [Fact]
    public void Nothing_is_set_when_the_soft_limit_is_the_hard_one_already()
    {
        Limits(20_000, 20_000);
        Assert.Equal(new DescriptorLimits.Limits(20_000, 20_000, 20_000), DescriptorLimits.Raise(_api, _log));
        _api.DidNotReceiveWithAnyArgs().SetDescriptorLimits(default, default);
    }

    [Fact]
    public void An_unlimited_hard_limit_is_not_passed_to_setrlimit_as_is()
    {
        Limits(1024, long.MaxValue); // RLIM_INFINITY
        DescriptorLimits.Raise(_api, _log);
        _api.Received(1).SetDescriptorLimits(DescriptorLimits.MaxCapacity, long.MaxValue);
    }

    [Fact]
    public void When_setrlimit_fails_the_server_logs_one_line_and_keeps_the_soft_limit()
    {
        Limits(1024, 4096);
        _api.SetDescriptorLimits(Arg.Any<long>(), Arg.Any<long>()).Returns(-Errno.EPERM);
        DescriptorLimits.Limits l = DescriptorLimits.Raise(_api, _log);
        Assert.Equal(new DescriptorLimits.Limits(1024, 1024, 4096), l);
        Assert.Equal(1024, DescriptorLimits.Capacity(0, l, windows: false, out _));
        string log = Logged();
        Assert.Equal("error: cannot raise the descriptor limit from 1024 to 4096: setrlimit: EPERM (Operation not permitted); serving within 1024\n", log);
    }

    [Fact]
    public void When_getrlimit_fails_the_server_logs_it_and_falls_back_to_FD_SETSIZE()
    {
        _api.GetDescriptorLimits(out Arg.Any<long>(), out Arg.Any<long>()).Returns(-Errno.EFAULT);
        _api.DescriptorLimit().Returns(-Errno.EFAULT);
        DescriptorLimits.Limits l = DescriptorLimits.Raise(_api, _log);
        _api.DidNotReceiveWithAnyArgs().SetDescriptorLimits(default, default);
        Assert.Contains("error: cannot read the descriptor limit: getrlimit: EFAULT", Logged());
        Assert.Equal(1024, DescriptorLimits.Capacity(0, l, windows: false, out _));
    }

    [Fact]
    public void Without_an_rlimit_Windows_takes_its_handle_ceiling_and_16384_sockets()
    {
        _api.GetDescriptorLimits(out Arg.Any<long>(), out Arg.Any<long>()).Returns(-Errno.ENOSYS);
        _api.DescriptorLimit().Returns(1L << 24);
        DescriptorLimits.Limits l = DescriptorLimits.Raise(_api, _log);
        Assert.Equal(new DescriptorLimits.Limits(1L << 24, 1L << 24, 1L << 24), l);
        Assert.Equal(16_384, DescriptorLimits.Capacity(0, l, windows: true, out _));
        Assert.Equal(1100, DescriptorLimits.Capacity(1100, l, windows: true, out _));
        Assert.Equal("", Logged());
    }

    [Theory]
    [InlineData(1024, 1024)]
    [InlineData(20_000, 20_000)]
    [InlineData(1, 1)]
    public void Fd_setsize_up_to_the_limit_is_the_capacity(int fdSetSize, int expected)
    {
        var l = new DescriptorLimits.Limits(1024, 20_000, 20_000);
        Assert.Equal(expected, DescriptorLimits.Capacity(fdSetSize, l, windows: false, out string error));
        Assert.Equal("", error);
    }

    [Fact]
    public void Fd_setsize_above_the_raised_limit_is_a_usage_error_naming_the_value()
    {
        var l = new DescriptorLimits.Limits(1024, 20_000, 20_000);
        Assert.Null(DescriptorLimits.Capacity(20_001, l, windows: false, out string error));
        Assert.Equal("invalid value '20001' for --fd-setsize: above the descriptor limit (20000; hard limit 20000)", error);
    }
}
