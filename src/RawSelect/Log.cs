using System;
using System.IO;
using System.Text;

namespace RawSelect;

/// <summary>
/// Lines to stderr, each written whole with one write so lines from a crash or a signal never
/// interleave. Callers test the level first (<c>if (log.Debug) ...</c>) so a quiet server
/// formats nothing and allocates nothing.
/// </summary>
public sealed class Log
{
    private readonly Stream _stream;
    private readonly byte[] _bytes = new byte[8192];
    private readonly char[] _chars = new char[4096];
    private int _length;

    public LogLevel Level { get; }

    public Log(LogLevel level, Stream stream)
    {
        Level = level;
        _stream = stream;
    }

    public bool Error => Level >= LogLevel.Error;
    public bool Info => Level >= LogLevel.Info;
    public bool Debug => Level >= LogLevel.Debug;
    public bool Trace => Level >= LogLevel.Trace;

    /// <summary>Starts a line: "level: ".</summary>
    public Log Begin(string level)
    {
        _length = 0;
        return Append(level).Append(": ");
    }

    public Log Append(string s) => Append(s.AsSpan());

    public Log Append(ReadOnlySpan<char> s)
    {
        int n = Math.Min(s.Length, _chars.Length - _length);
        s.Slice(0, n).CopyTo(_chars.AsSpan(_length));
        _length += n;
        return this;
    }

    public Log Append(long v)
    {
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

    public void End()
    {
        if (_length < _chars.Length) _chars[_length++] = '\n';
        else _chars[_chars.Length - 1] = '\n';
        int bytes = Encoding.UTF8.GetBytes(_chars, 0, _length, _bytes, 0);
        try
        {
            _stream.Write(_bytes, 0, bytes);
            _stream.Flush();
        }
        catch (IOException)
        {
            // stderr closed or full: logging must never take the server down.
        }
        _length = 0;
    }
}
