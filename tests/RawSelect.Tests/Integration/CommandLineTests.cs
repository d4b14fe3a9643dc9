using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace RawSelect.Tests.Integration;

/// <summary>
/// The command line as a contract, checked on the binary itself: exit statuses, one-line
/// messages naming the bad value, never a stack trace, --help and --version on stdout.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class CommandLineTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("--frobnicate", new[] { "--frobnicate" })]                         // unknown option
    [InlineData("--tcp", new[] { "--tcp" })]                                       // missing value
    [InlineData("--backlog", new[] { "--udp", "127.0.0.1:0", "--backlog" })]       // missing value, last
    [InlineData("nonsense", new[] { "--tcp", "nonsense" })]
    [InlineData("1.2.3.4:99999", new[] { "--tcp", "1.2.3.4:99999" })]              // port out of range
    [InlineData("256.0.0.1:5000", new[] { "--tcp", "256.0.0.1:5000" })]
    [InlineData("::1:5000", new[] { "--udp", "::1:5000" })]                        // IPv6 without brackets
    [InlineData("[::1]", new[] { "--udp", "[::1]" })]                              // no port
    [InlineData("-1", new[] { "--backlog", "-1" })]
    [InlineData("abc", new[] { "--backlog", "abc" })]
    [InlineData("--buffer-size", new[] { "--buffer-size", "0" })]
    [InlineData("99999999999999999999", new[] { "--buffer-size", "99999999999999999999" })]
    [InlineData("loud", new[] { "--log-level", "loud" })]
    [InlineData("-5", new[] { "--idle-timeout", "-5" })]
    [InlineData("soon", new[] { "--shutdown-timeout", "soon" })]
    [InlineData("--max-clients", new[] { "--max-clients", "0" })]
    [InlineData("extra", new[] { "extra" })]                                       // positional argument
    [InlineData("--no-tcp", new[] { "--no-tcp", "--no-udp" })]                     // nothing to serve
    [InlineData("--tcp", new[] { "--tcp=" })]                                      // empty value
    [InlineData("--version", new[] { "--version=2" })]                             // a flag given a value
    public void Bad_arguments_exit_2_with_one_line_naming_the_value(string named, string[] args)
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, args);

        Assert.True(code == 2, $"rawselect {string.Join(' ', args)}: exit {code}, expected 2; stderr: {stderr}");
        Assert.Equal("", stdout);
        AssertOneLine(stderr);
        Assert.Contains(named, stderr);
        SignalTests.AssertNoCrash(stderr);
    }

    [Fact]
    public void Taken_tcp_port_exits_1_naming_the_address_and_the_error()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, "--tcp", $"127.0.0.1:{port}", "--no-udp");

        Assert.True(code == 1, $"exit {code}, expected 1; stderr: {stderr}");
        AssertOneLine(stderr);
        Assert.Contains($"127.0.0.1:{port}", stderr);
        Assert.Contains("Address already in use", stderr); // strerror(EADDRINUSE)
        Assert.Equal("", stdout); // no "listening" line for a server that is not listening
        SignalTests.AssertNoCrash(stderr);
    }

    [Fact]
    public void Taken_udp_port_after_a_good_listener_exits_1_and_announces_nothing()
    {
        using var taken = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        // The TCP listener binds fine first; the "listening" lines come only once every socket is bound.
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, "--tcp", "127.0.0.1:0", "--udp", $"[::1]:{port}");

        Assert.True(code == 1, $"exit {code}, expected 1; stderr: {stderr}");
        AssertOneLine(stderr);
        Assert.Contains($"[::1]:{port}", stderr);
        Assert.Contains("Address already in use", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Help_exits_0_with_usage_on_stdout()
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, "--help");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.StartsWith("Usage: rawselect", stdout);
        foreach (string opt in new[] { "--tcp", "--udp", "--no-tcp", "--no-udp", "--buffer-size", "--backlog", "--log-level",
                     "--trace", "--max-clients", "--idle-timeout", "--shutdown-timeout", "--allow-service-ports", "--help", "--version" })
            Assert.Contains(opt, stdout);
        Assert.EndsWith("\n", stdout); // text output ends its last line
    }

    [Fact]
    public void Version_exits_0_with_one_line_on_stdout()
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, "--version");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        // e.g. "rawselect 0.3.0 (commit 1a2b3c4d5e6f, linux-x64, glibc >= 2.17)" from a release,
        // "..., linux-x64, glibc: build host's)" from scripts/build.sh (see VersionLine).
        Assert.Matches(new Regex(@"\Arawselect \d+\.\d+\.\d+\S* \(commit ([0-9a-f]{12}(-dirty)?|unknown), " +
                                 @"linux-(x64|arm64), (glibc >= \d+\.\d+|glibc: build host's)\)\n\z"), stdout);
    }

    internal static void AssertOneLine(string stderr)
    {
        Assert.True(stderr.Length > 1 && stderr.EndsWith('\n') && stderr.IndexOf('\n') == stderr.Length - 1,
            $"expected exactly one line on stderr, got: <<{stderr}>>");
    }
}
