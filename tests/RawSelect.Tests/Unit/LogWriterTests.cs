using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The log's queue in front of a reader that stops: lines wait in a bounded ring, the overflow is
/// dropped and counted, a notice says how many once the reader is back, and draining at exit
/// never waits past its deadline.
/// </summary>
public sealed class LogWriterTests
{
    /// <summary>A destination whose writes block until the test opens the gate, like a full pipe.</summary>
    private sealed class GatedStream : Stream
    {
        public readonly ManualResetEventSlim Gate = new(false);
        private readonly MemoryStream _written = new();

        public string Text { get { lock (_written) return Encoding.UTF8.GetString(_written.ToArray()); } }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Gate.Wait();
            lock (_written) _written.Write(buffer, offset, count);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static long In(double seconds) => Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void A_stalled_reader_costs_dropped_lines_never_a_blocked_caller()
    {
        var dest = new GatedStream();
        var log = Log.Plain(LogLevel.Info, dest);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 20_000; i++) log.Begin("info").Append("line ").Append(i).End(); // ~250 KiB+
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "the caller was held up by the stalled reader");
        Assert.True(log.LinesDropped > 0, "nothing dropped: the queue is not bounded");

        long dropped = log.LinesDropped;
        dest.Gate.Set();
        Assert.True(log.Drain(In(10)), "did not drain once the reader came back");
        string text = dest.Text;
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Match m = Regex.Match(text, @"info: log: (\d+) lines dropped");
        Assert.True(m.Success, "no notice of the dropped lines");
        Assert.Equal(dropped, long.Parse(m.Groups[1].Value));
        // What was kept is whole and in order; the notice comes after the lines it speaks of.
        Assert.Equal(20_000 - dropped, lines.Count(l => l.StartsWith("info: line ")));
        Assert.True(Array.FindIndex(lines, l => l.Contains("lines dropped")) == lines.Length - 1);
        int[] kept = lines.Where(l => l.StartsWith("info: line ")).Select(l => int.Parse(l[11..])).ToArray();
        Assert.Equal(kept.OrderBy(x => x), kept);
    }

    [Fact]
    public void Drain_never_waits_past_its_deadline_while_the_reader_stays_stalled()
    {
        var dest = new GatedStream();
        var log = Log.Plain(LogLevel.Info, dest);
        log.Begin("info").Append("exit counters").End();
        var sw = Stopwatch.StartNew();
        Assert.False(log.Drain(In(0.2)));
        Assert.InRange(sw.ElapsedMilliseconds, 150, 2000);
        dest.Gate.Set();
        Assert.True(log.Drain(In(5)));
        Assert.Equal("info: exit counters\n", dest.Text);
    }

    [Fact]
    public void A_reader_that_keeps_up_loses_nothing_and_sees_no_notice()
    {
        var dest = new GatedStream();
        dest.Gate.Set();
        var log = Log.Plain(LogLevel.Info, dest);
        for (int i = 0; i < 1000; i++) log.Begin("info").Append(i).End();
        Assert.True(log.Drain(In(5)));
        Assert.Equal(0, log.LinesDropped);
        Assert.Equal(1000, dest.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("dropped", dest.Text);
    }

    [Theory]
    [InlineData(LinePrefix.None, "error", @"^error: x\n$")]
    [InlineData(LinePrefix.Journal, "error", @"^<3>error: x\n$")]
    [InlineData(LinePrefix.Journal, "info", @"^<6>info: x\n$")]
    [InlineData(LinePrefix.Journal, "debug", @"^<7>debug: x\n$")]
    [InlineData(LinePrefix.Journal, "trace", @"^<7>trace: t=\d+ x\n$")]
    [InlineData(LinePrefix.Timestamp, "info", @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: x\n$")]
    [InlineData(LinePrefix.JournalAndTimestamp, "info", @"^<6>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: x\n$")]
    public void Each_line_starts_with_what_its_destination_wants(LinePrefix prefix, string level, string pattern)
    {
        var dest = new MemoryStream();
        var log = new Log(LogLevel.Trace, dest, prefix);
        log.Begin(level).Append('x').End();
        Assert.True(log.Drain(In(5)));
        Assert.Matches(pattern, Encoding.UTF8.GetString(dest.ToArray()));
    }

    [Fact]
    public void The_timestamp_is_utc_to_the_millisecond()
    {
        Span<char> buf = stackalloc char[32];
        int n = LinePrefixFormatter.FormatUtc(new DateTime(2026, 12, 2, 1, 2, 3, 456, DateTimeKind.Utc), buf);
        Assert.Equal("2026-12-02T01:02:03.456Z", buf[..n].ToString());
    }

    [Fact]
    public void Trace_lines_go_to_the_trace_file_and_the_rest_to_stderr()
    {
        var stderr = new MemoryStream();
        var trace = new MemoryStream();
        var log = new Log(LogLevel.Info, stderr, LinePrefix.None, trace, traceTimestamps: false);
        Assert.True(log.Trace);    // --trace-file turns tracing on by itself
        Assert.False(log.Debug);   // without raising stderr's level
        log.Begin("info").Append("a").End();
        log.Begin("trace").Append("b").End();
        Assert.True(log.Drain(In(5)));
        Assert.Equal("info: a\n", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Matches(@"^trace: t=\d+ b\n$", Encoding.UTF8.GetString(trace.ToArray()));
    }

    [Fact]
    public void A_line_far_longer_than_usual_is_written_whole()
    {
        // A select trace line at 10,000 descriptors lists every one of them.
        var dest = new MemoryStream();
        var log = Log.Plain(LogLevel.Trace, dest);
        log.Begin("trace").Append("select read={");
        for (int fd = 0; fd < 20_000; fd++) log.Append(fd).Append(',');
        log.Append('}').End();
        log.Begin("info").Append("short").End();
        Assert.True(log.Drain(In(5)));
        string[] lines = Encoding.UTF8.GetString(dest.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("19999,}", lines[0]);
        Assert.Equal("info: short", lines[1]);
    }
}
