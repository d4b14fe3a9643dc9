using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>The pieces of a trace line the poll and epoll backends share (BRIEF's trace contract).</summary>
public static class TraceFormat
{
    /// <summary>POLL* / EPOLL* bits (the same values) as "in+out+hup"; "0" for none.</summary>
    public static void Events(Log log, uint events)
    {
        bool first = true;
        Name(Libc.POLLIN, "in");
        Name(Libc.POLLOUT, "out");
        Name(Libc.POLLPRI, "pri");
        Name(Libc.POLLERR, "err");
        Name(Libc.POLLHUP, "hup");
        Name(Libc.POLLNVAL, "nval");
        uint other = events & ~(uint)(Libc.POLLIN | Libc.POLLOUT | Libc.POLLPRI | Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL);
        if (other != 0)
        {
            if (!first) log.Append('+');
            log.Append("0x");
            Span<char> hex = stackalloc char[8];
            other.TryFormat(hex, out int n, "x");
            log.Append(hex.Slice(0, n));
            first = false;
        }
        if (first) log.Append('0');

        void Name(int bit, string name)
        {
            if ((events & (uint)bit) == 0) return;
            if (!first) log.Append('+');
            log.Append(name);
            first = false;
        }
    }

    /// <summary>"inf" for -1, else milliseconds with three decimals: "5.000ms".</summary>
    public static void Timeout(Log log, int timeoutMs)
    {
        if (timeoutMs < 0) log.Append("inf");
        else log.AppendMs(timeoutMs);
    }

    /// <summary>The call's result: a count, or "-1 EINTR" (errno by name).</summary>
    public static void Result(Log log, int result)
    {
        if (result >= 0) { log.Append(result); return; }
        string? name = Errno.Name(-result);
        log.Append("-1 ");
        if (name is null) log.Append("errno=").Append(-result); else log.Append(name);
    }
}
