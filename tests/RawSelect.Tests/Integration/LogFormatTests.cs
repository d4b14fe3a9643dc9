using System.Text.RegularExpressions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// How log lines start, wherever they land: a UTC timestamp on a pipe or a file; the syslog
/// priority and no timestamp under systemd's journal (JOURNAL_STREAM naming fd 2 itself);
/// --log-timestamps on|off overriding; the trace in a file of its own with --trace-file.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class LogFormatTests
{
    private const string Stamp = @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z";

    // The shell hands the server its own stderr's device:inode, as systemd does for the journal.
    private const string AsJournal = "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2)";

    private static string[] RunAndStop(string? shellPrefix, params string[] extra)
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", .. extra], shellPrefix);
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Assert.Equal("listening tcp", string.Join(' ', server.Stdout.Split(' ').Take(2))); // stdout never changes
        return server.StderrRaw.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void On_a_pipe_every_line_starts_with_a_utc_timestamp()
    {
        string[] lines = RunAndStop(null);
        Assert.Contains(lines, l => Regex.IsMatch(l, $"^{Stamp} info: serving: "));
        Assert.All(lines, l => Assert.Matches($"^{Stamp} (info|debug|error|trace): ", l));
        // It is now, in UTC.
        DateTime t = DateTime.Parse(lines[0][..24], null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(t, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Under_the_journal_lines_carry_the_priority_and_no_timestamp()
    {
        string[] lines = RunAndStop(AsJournal, "--log-level", "debug");
        Assert.Contains(lines, l => l.StartsWith("<6>info: serving: "));
        Assert.Contains(lines, l => l.StartsWith("<6>info: exit "));
        Assert.All(lines, l => Assert.Matches(@"^<[367]>(info|debug|error|trace): ", l));
        Assert.DoesNotContain(lines, l => Regex.IsMatch(l, Stamp));
    }

    [Fact]
    public void Trace_lines_under_the_journal_are_debug_priority()
    {
        string[] lines = RunAndStop(AsJournal, "--trace");
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^<7>trace: t=\d+ select "));
    }

    [Fact]
    public void A_journal_stream_that_is_not_our_stderr_is_not_the_journal()
    {
        // A child of a journal-logged service inherits the variable but may write elsewhere.
        string[] lines = RunAndStop("export JOURNAL_STREAM=1:1");
        Assert.All(lines, l => Assert.Matches($"^{Stamp} ", l));
    }

    [Fact]
    public void Log_timestamps_off_gives_plain_lines_and_on_adds_them_under_the_journal()
    {
        Assert.All(RunAndStop(null, "--log-timestamps", "off"), l => Assert.Matches("^(info|debug|error|trace): ", l));
        Assert.All(RunAndStop(AsJournal, "--log-timestamps", "on"), l => Assert.Matches($"^<[367]>{Stamp} (info|debug|error|trace): ", l));
    }

    [Fact]
    public void Trace_file_takes_the_trace_and_leaves_the_rest_on_stderr()
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-trace-").FullName;
        try
        {
            string path = Path.Combine(dir, "trace.txt");
            string[] stderr = RunAndStop(null, "--trace-file", path);
            Assert.Contains(stderr, l => l.Contains("info: serving: "));
            Assert.DoesNotContain(stderr, l => l.Contains("trace: "));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            string[] first = File.ReadAllLines(path);
            Assert.NotEmpty(first);
            Assert.All(first, l => Assert.Matches($@"^{Stamp} trace: t=\d+ ", l));

            // Appended, never truncated: a second run adds to the first.
            RunAndStop(null, "--trace-file", path, "--log-timestamps", "off");
            string[] both = File.ReadAllLines(path);
            Assert.Equal(first, both.Take(first.Length));
            Assert.True(both.Length > first.Length);
            Assert.All(both.Skip(first.Length), l => Assert.Matches(@"^trace: t=\d+ ", l));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_trace_file_that_cannot_be_opened_is_one_line_and_exit_2()
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit("--trace-file", "/nonexistent-dir/trace.txt");
        Assert.Equal(2, code);
        Assert.Equal("", stdout); // nothing was bound
        Assert.Matches(@"^rawselect: cannot open --trace-file '/nonexistent-dir/trace\.txt': .*\(ENOENT\)\n$", stderr);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("")]
    [InlineData("ON")]
    public void Bad_log_timestamps_values_are_one_line_and_exit_2(string value)
    {
        (int code, _, string stderr) = ServerProcess.RunToExit("--log-timestamps", value);
        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--log-timestamps", stderr);
    }

    [Fact]
    public void A_bind_failure_under_the_journal_has_the_error_priority()
    {
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        holder.Listen();
        string taken = holder.LocalEndPoint!.ToString()!;
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{AsJournal} && exec \"$0\" --tcp {taken} --no-udp");
        psi.ArgumentList.Add(ServerProcess.BinaryPath);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(1, p.ExitCode);
        Assert.StartsWith($"<3>rawselect: cannot bind tcp {taken}: ", err);
    }
}
