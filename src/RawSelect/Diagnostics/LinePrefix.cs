using System;

namespace RawSelect;

/// <summary>How a log line starts, chosen once per destination at start.</summary>
public enum LinePrefix
{
    /// <summary>Nothing: the line as it always was ("info: serving: ...").</summary>
    None,
    /// <summary>A UTC timestamp to the millisecond and a space.</summary>
    Timestamp,
    /// <summary>systemd's journal: "&lt;N&gt;" with the syslog priority; journald adds the time.</summary>
    Journal,
    /// <summary>Both: "&lt;N&gt;" then a timestamp (the journal with --log-timestamps on).</summary>
    JournalAndTimestamp,
}

/// <summary>
/// Writes a line's prefix into a char buffer without allocating. Thread-safe: it reads only the
/// clock, so the log writer thread can prefix its own "lines dropped" notice.
/// </summary>
public readonly struct LinePrefixFormatter
{
    private readonly LinePrefix _kind;

    public LinePrefixFormatter(LinePrefix kind) => _kind = kind;

    /// <summary>Returns the number of chars written at the start of <paramref name="into"/>.</summary>
    public int Format(Span<char> into, int priority)
    {
        int n = 0;
        if (_kind is LinePrefix.Journal or LinePrefix.JournalAndTimestamp)
        {
            into[n++] = '<';
            into[n++] = (char)('0' + priority);
            into[n++] = '>';
        }
        if (_kind is LinePrefix.Timestamp or LinePrefix.JournalAndTimestamp)
        {
            n += FormatUtc(DateTime.UtcNow, into.Slice(n));
            into[n++] = ' ';
        }
        return n;
    }

    /// <summary>"2026-12-02T01:02:03.456Z": 24 chars, by hand (no culture, no allocation).</summary>
    public static int FormatUtc(DateTime t, Span<char> into)
    {
        Digits(into, 0, t.Year, 4);
        into[4] = '-';
        Digits(into, 5, t.Month, 2);
        into[7] = '-';
        Digits(into, 8, t.Day, 2);
        into[10] = 'T';
        Digits(into, 11, t.Hour, 2);
        into[13] = ':';
        Digits(into, 14, t.Minute, 2);
        into[16] = ':';
        Digits(into, 17, t.Second, 2);
        into[19] = '.';
        Digits(into, 20, t.Millisecond, 3);
        into[23] = 'Z';
        return 24;
    }

    private static void Digits(Span<char> into, int at, int value, int width)
    {
        for (int i = width - 1; i >= 0; i--)
        {
            into[at + i] = (char)('0' + value % 10);
            value /= 10;
        }
    }
}
