using System;
using System.Diagnostics;
using System.Numerics;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// --trace: one line per select call, so a reader can watch the loop work:
/// "trace: select nfds=6 read={3,4,5} write={} timeout=inf -> 1 read={5} write={} waited=12.345ms",
/// and on failure "-> -1 EINTR" (the errno by name). The sets are walked word by word below nfds
/// only, so a line costs what the call watched, never what the capacity allows.
/// </summary>
public sealed class SelectTrace
{
    private readonly Log _log;

    public SelectTrace(Log log) => _log = log;

    public void Record(int nfds, LargeFdSet readGiven, LargeFdSet writeGiven, long timeoutMicros,
        int result, LargeFdSet readReturned, LargeFdSet writeReturned, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("select nfds=").Append(nfds);
        AppendSet(" read=", readGiven, nfds);
        AppendSet(" write=", writeGiven, nfds);
        _log.Append(" timeout=");
        if (timeoutMicros < 0) _log.Append("inf");
        else _log.AppendMs(timeoutMicros / 1000.0);
        // The seam returns -errno; the line shows what select(2) itself returned, -1, then the name.
        _log.Append(" -> ").Append(result < 0 ? -1 : result);
        if (result > 0)
        {
            AppendSet(" read=", readReturned, nfds);
            AppendSet(" write=", writeReturned, nfds);
        }
        else if (result < 0)
        {
            AppendErrnoName(_log, -result);
        }
        _log.Append(" waited=");
        _log.AppendMs(waitedMs);
        _log.End();
    }

    /// <summary>" EINTR", or " errno=N" for a number this program has no name for.</summary>
    internal static void AppendErrnoName(Log log, int errno)
    {
        if (Errno.Name(errno) is string name) log.Append(' ').Append(name);
        else log.Append(" errno=").Append(errno);
    }

    private void AppendSet(string label, LargeFdSet set, int nfds)
    {
        _log.Append(label).Append('{');
        bool first = true;
        int words = (nfds + 63) >> 6;
        for (int w = 0; w < words; w++)
        {
            ulong bits = set.Word(w);
            if (w == words - 1 && (nfds & 63) != 0) bits &= (1UL << (nfds & 63)) - 1;
            while (bits != 0)
            {
                int fd = (w << 6) | BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                if (!first) _log.Append(',');
                _log.Append(fd);
                first = false;
            }
        }
        _log.Append('}');
    }
}
