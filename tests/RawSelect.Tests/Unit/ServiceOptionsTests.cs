namespace RawSelect.Tests.Unit;

/// <summary>The command line of issue 10: passed sockets, --user and --group.</summary>
public class ServiceOptionsTests
{
    [Fact]
    public void With_passed_sockets_no_defaults_are_added()
    {
        Options o = Options.Parse([], socketsPassed: true, out string e)!;
        Assert.True(o is not null, e);
        Assert.Empty(o.Tcp);
        Assert.Empty(o.Udp);
    }

    [Fact]
    public void With_passed_sockets_no_tcp_no_udp_is_valid_and_explicit_listeners_stay()
    {
        Assert.NotNull(Options.Parse(["--no-tcp", "--no-udp"], socketsPassed: true, out _));
        Options o = Options.Parse(["--udp", "127.0.0.1:0"], socketsPassed: true, out _)!;
        Assert.Empty(o.Tcp);
        Assert.Single(o.Udp);
    }

    [Fact]
    public void Without_passed_sockets_no_tcp_no_udp_stays_the_same_error()
    {
        Assert.Null(Options.Parse(["--no-tcp", "--no-udp"], socketsPassed: false, out string e1));
        Assert.Null(Options.Parse(["--no-tcp", "--no-udp"], out string e2));
        Assert.Equal("--no-tcp and --no-udp leave nothing to serve", e1);
        Assert.Equal(e1, e2);
    }

    [Fact]
    public void User_and_group_are_kept_as_given()
    {
        Options o = Options.Parse(["--user", "nobody", "--group=65534"], out _)!;
        Assert.Equal("nobody", o.User);
        Assert.Equal("65534", o.Group);
    }

    [Theory]
    [InlineData("--group needs --user", "--group", "nogroup")]
    [InlineData("missing value for --user", "--user")]
    [InlineData("empty value for --user", "--user=")]
    [InlineData("empty value for --group", "--user", "nobody", "--group", "")]
    public void Bad_user_and_group_arguments(string expected, params string[] args)
    {
        Assert.Null(Options.Parse(args, out string e));
        Assert.Contains(expected, e);
    }
}
