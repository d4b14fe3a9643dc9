using System;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace RawSelect;

/// <summary>
/// Lines to stderr (and the trace, optionally, to a file of its own), each handed whole to a
/// <see cref="LogWriter"/> so lines never interleave and a stalled reader never stalls the loop.
/// Callers test the level first (<c>if (log.Debug) ...</c>) so a quiet server formats nothing and
/// allocates nothing.
///
/// Each line starts with what its destination wants: under the journal, the syslog priority
/// ("&lt;6&gt;info: ...": journald stamps the time itself); elsewhere a UTC timestamp to the
/// millisecond ("2026-12-02T01:02:03.456Z info: ..."). Trace lines also carry microseconds
/// since start ("trace: t=123456 ..."), so calls can be placed in time.
/// </summary>
public sealed class Log
{
    private readonly Sink _main;
    private readonly Sink? _traceFile;
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    // A line is formatted here, then encoded whole. Most lines are short; a select trace line
    // lists every descriptor watched (tens of KiB at 10,000 connections), so the buffers grow to
    // the longest line seen, up to MaxLineChars, and are then reused: no allocation per line.
    public const int MaxLineChars = 1 << 20;
    private byte[] _bytes = new byte[16384];
    private char[] _chars = new char[4096];
    private int _length;
    private Sink _current;

    public LogLevel Level { get; }

    private const int TraceQueueBytes = 4 << 20;

    /// <param name="stream">stderr, written by a thread of its own (see <see cref="LogWriter"/>).</param>
    /// <param name="format">How stderr's lines start (journal or timestamps).</param>
    /// <param name="traceFile">--trace-file: trace lines go there instead, with timestamps
    /// unless <paramref name="traceTimestamps"/> is false.</param>
    public Log(LogLevel level, Stream stream, LinePrefix format = LinePrefix.Timestamp,
        Stream? traceFile = null, bool traceTimestamps = true)
    {
        Level = level;
        // A trace line per call holds whole sets: give the trace's destination room for bursts.
        _main = new Sink(stream, format, level >= LogLevel.Trace ? TraceQueueBytes : LogWriter.DefaultCapacity);
        if (traceFile is not null)
            _traceFile = new Sink(traceFile, traceTimestamps ? LinePrefix.Timestamp : LinePrefix.None, TraceQueueBytes);
        _current = _main;
        // The threads start with the log, not with its first line: see LogWriter.Start. A quiet
        // log has no use for stderr's (its lines are never written), so it runs none.
        StartWriters();
    }

    /// <summary>
    /// Starts the writer threads the log needs (idempotent). The constructor does; what must
    /// exist before a loop takes its own descriptor table (<see cref="ProcessShared"/>) calls it
    /// again to say so.
    /// </summary>
    public void StartWriters()
    {
        if (Level > LogLevel.Quiet) _main.Writer.Start();
        _traceFile?.Writer.Start();
    }

    /// <summary>A log that writes plain lines to the stream (tests, tools): no prefix.</summary>
    public static Log Plain(LogLevel level, Stream stream) => new(level, stream, LinePrefix.None);

    public bool Error => Level >= LogLevel.Error;
    public bool Info => Level >= LogLevel.Info;
    public bool Debug => Level >= LogLevel.Debug;
    /// <summary>Tracing is on: --trace (to stderr) or --trace-file.</summary>
    public bool Trace => Level >= LogLevel.Trace || _traceFile is not null;

    /// <summary>Lines dropped because a destination was not keeping up (log_lines_dropped).</summary>
    public long LinesDropped => _main.Writer.Dropped + (_traceFile?.Writer.Dropped ?? 0);

    /// <summary>
    /// Starts a line: its prefix, then "level: ". A "trace" line goes to the trace file if
    /// there is one, and carries "t=MICROSECONDS " since start.
    /// </summary>
    public Log Begin(string level)
    {
        bool trace = level == "trace";
        _current = trace && _traceFile is not null ? _traceFile : _main;
        _length = 0;
        _length = _current.Prefix.Format(_chars, Priority(level));
        Append(level).Append(": ");
        if (trace)
        {
            long micros = (long)((Stopwatch.GetTimestamp() - _startTicks) * (1_000_000.0 / Stopwatch.Frequency));
            Append("t=").Append(micros).Append(' ');
        }
        return this;
    }

    /// <summary>syslog priority: 3 error, 6 info, 7 debug and trace.</summary>
    private static int Priority(string level) => level switch
    {
        "error" => 3,
        "info" => 6,
        _ => 7,
    };

    public Log Append(string s) => Append(s.AsSpan());

    public Log Append(ReadOnlySpan<char> s)
    {
        if (_chars.Length - _length < s.Length + 1) Grow(s.Length + 1);
        int n = Math.Min(s.Length, _chars.Length - _length);
        s.Slice(0, n).CopyTo(_chars.AsSpan(_length));
        _length += n;
        return this;
    }

    public Log Append(long v)
    {
        if (_chars.Length - _length < 21) Grow(21);
        if (v.TryFormat(_chars.AsSpan(_length), out int n)) _length += n;
        return this;
    }

    /// <summary>Milliseconds with three decimals: "12.345ms".</summary>
    public Log AppendMs(double ms)
    {
        Span<char> buf = stackalloc char[32];
        ms.TryFormat(buf, out int n, "0.000", System.Globalization.CultureInfo.InvariantCulture);
        return Append(buf.Slice(0, n)).Append("ms");
    }

    /// <summary>For rate-limited lines: " (and N more since the last report)" when N > 0.</summary>
    public Log AppendHeldBack(long held) =>
        held > 0 ? Append(" (and ").Append(held).Append(" more since the last report)") : this;

    public Log Append(char c)
    {
        if (_length + 1 >= _chars.Length) Grow(2);
        if (_length < _chars.Length) _chars[_length++] = c;
        return this;
    }

    public Log Append(in Interop.NetAddress a)
    {
        Span<char> buf = stackalloc char[Interop.NetAddress.MaxTextLength];
        a.TryFormat(buf, out int n);
        return Append(buf.Slice(0, n));
    }

    /// <summary>Appends "ECONNRESET (Connection reset by peer)".</summary>
    public Log AppendErrno(int errno, Interop.ISocketApi api)
    {
        string? name = Interop.Errno.Name(errno);
        if (name is null) Append("errno ").Append(errno); else Append(name);
        return Append(" (").Append(api.ErrorText(errno)).Append(')');
    }

    /// <summary>Makes room for <paramref name="more"/> chars, up to MaxLineChars (past it, the line is cut).</summary>
    private void Grow(int more)
    {
        if (_chars.Length >= MaxLineChars) return;
        int size = Math.Min(MaxLineChars, Math.Max(_chars.Length * 2, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(_length + more))));
        Array.Resize(ref _chars, size);
        _bytes = new byte[size * 3 + 4]; // UTF-8: at most 3 bytes per UTF-16 char
    }

    public void End()
    {
        if (_length < _chars.Length) _chars[_length++] = '\n';
        else _chars[_chars.Length - 1] = '\n';
        int bytes = Encoding.UTF8.GetBytes(_chars, 0, _length, _bytes, 0);
        _current.Writer.TryWrite(_bytes.AsSpan(0, bytes));
        _length = 0;
    }

    /// <summary>
    /// At exit: waits for what is queued to be written, up to the deadline (Stopwatch ticks),
    /// and never longer, however stalled the reader.
    /// </summary>
    public bool Drain(long deadlineTicks)
    {
        bool main = _main.Writer.Drain(deadlineTicks);
        bool trace = _traceFile?.Writer.Drain(deadlineTicks) ?? true;
        return main && trace;
    }

    /// <summary>One destination: its writer thread and how its lines start.</summary>
    private sealed class Sink
    {
        public readonly LogWriter Writer;
        public readonly LinePrefixFormatter Prefix;

        public Sink(Stream stream, LinePrefix prefix, int queueBytes)
        {
            Prefix = new LinePrefixFormatter(prefix);
            Writer = new LogWriter(stream, DropNotice, queueBytes);
        }

        // On the writer thread: its own buffers, so it never touches the loop's.
        private readonly char[] _noticeChars = new char[256];

        private int DropNotice(long dropped, byte[] into)
        {
            int n = Prefix.Format(_noticeChars, 6);
            ReadOnlySpan<char> text = "info: log: ";
            text.CopyTo(_noticeChars.AsSpan(n));
            n += text.Length;
            dropped.TryFormat(_noticeChars.AsSpan(n), out int w);
            n += w;
            text = " lines dropped (the reader was not keeping up)\n";
            text.CopyTo(_noticeChars.AsSpan(n));
            n += text.Length;
            return Encoding.UTF8.GetBytes(_noticeChars, 0, n, into, 0);
        }
    }
}
