namespace RawSelect.Tests.Unit;

public class OptionsTests
{
    private static Options Ok(params string[] args)
    {
        Options? o = Options.Parse(args, out string err);
        Assert.True(o is not null, err);
        return o!;
    }

    [Fact]
    public void Defaults_are_the_tutorials()
    {
        Options o = Ok();
        Assert.Equal("127.0.0.1:5000", Assert.Single(o.Tcp).ToString());
        Assert.Equal("127.0.0.1:6000", Assert.Single(o.Udp).ToString());
        Assert.Equal(65536, o.BufferSize);
        Assert.Equal(128, o.Backlog);
        Assert.Equal(LogLevel.Info, o.LogLevel);
        Assert.Equal(0, o.MaxClients);
        Assert.Equal(0, o.IdleTimeoutMs);
        Assert.Equal(1000, o.ShutdownTimeoutMs);
        Assert.False(o.AllowServicePorts);
    }

    [Fact]
    public void Listeners_repeat_and_replace_their_default()
    {
        Options o = Ok("--tcp", "[::1]:1", "--tcp=127.0.0.1:2", "--udp", "localhost:0");
        Assert.Equal(new[] { "[::1]:1", "127.0.0.1:2" }, o.Tcp.Select(a => a.ToString()));
        Assert.Equal("127.0.0.1:0", Assert.Single(o.Udp).ToString());
    }

    [Fact]
    public void No_tcp_and_no_udp_turn_one_off()
    {
        Assert.Empty(Ok("--no-tcp").Tcp);
        Assert.Single(Ok("--no-tcp").Udp);
        Assert.Empty(Ok("--no-udp").Udp);
    }

    [Theory]
    [InlineData("--buffer-size", "1", 1)]
    [InlineData("--buffer-size", "4096", 4096)]
    [InlineData("--buffer-size", "64K", 65536)]
    [InlineData("--buffer-size", "2m", 2097152)]
    [InlineData("--buffer-size", "64M", 67108864)]
    public void Buffer_size(string opt, string value, int expected) => Assert.Equal(expected, Ok(opt, value).BufferSize);

    [Fact]
    public void Every_option_is_understood()
    {
        Options o = Ok("--backlog", "7", "--max-clients", "9", "--idle-timeout", "2.5", "--shutdown-timeout", "0",
            "--log-level", "debug", "--allow-service-ports");
        Assert.Equal(7, o.Backlog);
        Assert.Equal(9, o.MaxClients);
        Assert.Equal(2500, o.IdleTimeoutMs);
        Assert.Equal(0, o.ShutdownTimeoutMs);
        Assert.Equal(LogLevel.Debug, o.LogLevel);
        Assert.True(o.AllowServicePorts);
        Assert.Equal(LogLevel.Trace, Ok("--trace").LogLevel);
        Assert.Equal(LogLevel.Quiet, Ok("--log-level", "quiet").LogLevel);
        Assert.Equal(LogLevel.Error, Ok("--log-level=error").LogLevel);
        Assert.True(Ok("--help").ShowHelp);
        Assert.True(Ok("-h").ShowHelp);
        Assert.True(Ok("--version").ShowVersion);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unexpected argument 'serve'", "serve")]
    [InlineData("missing value for --tcp", "--tcp")]
    [InlineData("empty value for --tcp", "--tcp", "")]
    [InlineData("empty value for --udp", "--udp=")]
    [InlineData("'nonsense'", "--tcp", "nonsense")]
    [InlineData("'1.2.3.4:99999'", "--tcp", "1.2.3.4:99999")]
    [InlineData("'[::1]'", "--udp", "[::1]")]
    [InlineData("'0'", "--buffer-size", "0")]
    [InlineData("'-1'", "--buffer-size", "-1")]
    [InlineData("'65M'", "--buffer-size", "65M")]
    [InlineData("'99999999999999999999'", "--buffer-size", "99999999999999999999")]
    [InlineData("'abc'", "--backlog", "abc")]
    [InlineData("'-1'", "--backlog", "-1")]
    [InlineData("'0'", "--backlog", "0")]
    [InlineData("'65536'", "--backlog", "65536")]
    [InlineData("' 5'", "--backlog", " 5")]
    [InlineData("'1e3'", "--backlog", "1e3")]
    [InlineData("'0'", "--fd-setsize", "0")]
    [InlineData("'-3'", "--fd-setsize", "-3")]
    [InlineData("'0'", "--max-clients", "0")]
    [InlineData("'x'", "--max-clients", "x")]
    [InlineData("'-5'", "--idle-timeout", "-5")]
    [InlineData("'1.'", "--idle-timeout", "1.")]
    [InlineData("'0.0001'", "--idle-timeout", "0.0001")]
    [InlineData("'NaN'", "--shutdown-timeout", "NaN")]
    [InlineData("'99999999999'", "--shutdown-timeout", "99999999999")]
    [InlineData("'loud'", "--log-level", "loud")]
    [InlineData("takes no value", "--no-tcp=1")]
    [InlineData("--no-tcp conflicts", "--no-tcp", "--tcp", "127.0.0.1:1")]
    [InlineData("--no-udp conflicts", "--udp", "127.0.0.1:1", "--no-udp")]
    [InlineData("nothing to serve", "--no-tcp", "--no-udp")]
    public void Bad_options_give_one_line_naming_the_value(string expected, params string[] args)
    {
        Options? o = Options.Parse(args, out string err);
        Assert.Null(o);
        Assert.Contains(expected, err);
        Assert.DoesNotContain('\n', err);
    }
}
