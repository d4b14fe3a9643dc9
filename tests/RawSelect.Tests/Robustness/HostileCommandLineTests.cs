using RawSelect.Tests.Integration;
using Xunit;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// Hostile command lines: every option that takes a value, given an empty, negative, huge,
/// non-numeric or malformed one (and the flags given a value they do not take). Each must end
/// with exit status 2, nothing on stdout and exactly one line on stderr (even when the value holds
/// a newline), and never a stack trace.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class HostileCommandLineTests
{
    // Placeholders keep the test names short; the test expands them to 100,000 characters.
    private const string HugeNumber = "<100000 nines>";
    private const string HugeText = "<100000 chars of x:[]>";

    private static string Expand(string a) => a
        .Replace(HugeNumber, new string('9', 100_000))
        .Replace(HugeText, string.Concat(Enumerable.Repeat("x:[]", 25_000)));

    /// <summary>Invalid for any count, size or seconds option.</summary>
    private static readonly string[] BadNumbers =
    [
        "", " ", "-1", "-0.5", "+1", " 1", "1 ", "1\n", "1\n2", "abc", "1e3", "0x10", "1_000", "1,5", "1.2.3", "..", ".",
        "NaN", "Infinity", "∞", "１", "٣", "99999999999999999999", "18446744073709551616", "9223372036854775808", HugeNumber,
        "-99999999999999999999", "\u001b[31m1",
    ];

    private static readonly string[] BadAddresses =
    [
        "", " ", "-1", "127.0.0.1", "127.0.0.1:", ":5000", ":", "127.0.0.1:-1", "127.0.0.1:65536", "127.0.0.1:99999999999999999999",
        "127.0.0.1:" + HugeNumber, "127.0.0.1:0x10", "127.0.0.1: 1", "127.0.0.1:1 ", "127.0.0.1:1\n", "127.0.0.1:5\n000",
        "256.0.0.1:0", "1.2.3:0", "1.2.3.4.5:0", "01.2.3.4:0", "1..2.3:0", "-1.2.3.4:0", "127.0.0.1.:0", "localhost:abc", "local host:0",
        "[::1:0", "::1]:0", "[::1]]:0", "[[::1]:0", "[]:0", "[:::]:0", "[::1::]:0", "[1:2:3:4:5:6:7:8:9]:0", "[12345::]:0", "[::g]:0",
        "[::1]:0:0", "[::1%lo]:0", "[::1.2.3]:0", "[::256.1.1.1]:0", "::1:0", "*:0", "0:0", "example.com:80", HugeText, "\u001b[2J:0",
    ];

    private static readonly string[] BadBackends = ["", " ", "Select", "POLL", "epoll ", " poll", "kqueue", "iocp", "select,poll", "e\npoll", HugeText, "\u001b[31mpoll"];

    private static readonly string[] BadLogLevels = ["", " ", "-1", "loud", "info ", " info", "in\nfo", "99999999999999999999", HugeText, "0", "5"];

    public static TheoryData<string[]> Cases()
    {
        var cases = new TheoryData<string[]>();
        foreach (string opt in new[] { "--buffer-size", "--backlog", "--max-clients", "--idle-timeout", "--shutdown-timeout" })
        {
            foreach (string v in BadNumbers) cases.Add([opt, v]);
            cases.Add([opt]);                     // missing, at the end
            cases.Add([opt, "--no-udp"]);          // the next option taken as its value
            cases.Add([opt + "=", "--no-udp"]);    // empty inline
            cases.Add([opt + "=-1"]);
            cases.Add([opt + "=" + HugeNumber]);
        }
        // Out of range for the option's own type.
        cases.Add(["--buffer-size", "0"]);
        cases.Add(["--buffer-size", "65M"]);
        cases.Add(["--buffer-size", "67108865"]);
        cases.Add(["--buffer-size", "1G"]);
        cases.Add(["--buffer-size", "K"]);
        cases.Add(["--buffer-size", "1KK"]);
        cases.Add(["--buffer-size", "-1K"]);
        cases.Add(["--buffer-size", "1.5K"]);
        cases.Add(["--buffer-size", "18014398509481984K"]);
        cases.Add(["--buffer-size", "999999999999999999M"]);
        cases.Add(["--backlog", "0"]);
        cases.Add(["--backlog", "65536"]);
        cases.Add(["--max-clients", "0"]);
        cases.Add(["--max-clients", "1000001"]);
        cases.Add(["--idle-timeout", "31536001"]);
        cases.Add(["--idle-timeout", "1.2345"]);
        cases.Add(["--idle-timeout", "1."]);
        cases.Add(["--shutdown-timeout", "31536000.001"]);
        cases.Add(["--shutdown-timeout", ".0001"]);
        foreach (string opt in new[] { "--tcp", "--udp" })
        {
            foreach (string v in BadAddresses) cases.Add([opt, v]);
            cases.Add([opt]);
            cases.Add([opt + "="]);
            cases.Add([opt + "=-1"]);
        }
        foreach (string v in BadLogLevels) cases.Add(["--log-level", v]);
        cases.Add(["--log-level"]);
        foreach (string v in BadBackends) cases.Add(["--backend", v]);
        cases.Add(["--backend"]);
        cases.Add(["--backend=", "--no-udp"]);
        foreach (string flag in new[] { "--no-tcp", "--no-udp", "--trace", "--allow-service-ports", "--help", "--version" })
        {
            cases.Add([flag + "=1"]);
            cases.Add([flag + "="]);
            cases.Add([flag + "=" + HugeNumber]);
        }
        // Unknown or mangled option names, and stray arguments.
        foreach (string arg in new[] { "-", "--", "---tcp", "--TCP", "-tcp", "--tcp-", "--\n", "--=1", "-\u001b", "\u0001", HugeText, "--" + HugeText })
            cases.Add([arg]);
        cases.Add(["--tcp", "127.0.0.1:0", "--no-tcp"]);
        cases.Add(["--no-tcp", "--no-udp"]);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_value_exits_2_with_one_line_and_no_stack_trace(string[] shortArgs)
    {
        string[] args = shortArgs.Select(Expand).ToArray();
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(TimeSpan.FromSeconds(5), args);

        string shown = string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + $"...({a.Length} chars)" : a));
        Assert.True(code == 2, $"rawselect {shown}: exit {code}, expected 2; stderr: {Short(stderr)}");
        Assert.Equal("", stdout);
        Assert.True(stderr.EndsWith('\n') && stderr.IndexOf('\n') == stderr.Length - 1,
            $"rawselect {shown}: expected exactly one line on stderr, got {stderr.Count(c => c == '\n')} line breaks: {Short(stderr)}");
        Assert.StartsWith("rawselect: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
        Assert.DoesNotContain("fatal", stderr);
        // A value may not smuggle terminal control sequences onto the operator's screen.
        Assert.False(stderr[..^1].Any(char.IsControl), $"rawselect {shown}: control characters on stderr: {Short(stderr)}");
    }

    private static string Short(string s) => s.Length > 300 ? s[..300] + $"...({s.Length} chars)" : s;
}
