using System;
using System.Diagnostics;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// --trace for the Winsock backend: one line per select call, in the shape of
/// <see cref="SelectTrace"/>'s but with no nfds (Winsock ignores it) and socket handles, not fds:
/// "trace: select sockets=4 read={284,292,300} write={} timeout=inf -> 1 read={300} write={} waited=12.345ms".
/// Errors by name ("-> -1 EINTR"), as for select(2). A wait with every set empty, which Winsock cannot select on, shows as "sleep".
/// </summary>
public sealed class WinsockSelectTrace
{
    private readonly Log _log;

    public WinsockSelectTrace(Log log) => _log = log;

    public void Record(int sockets, LargeFdSet readGiven, LargeFdSet writeGiven, long timeoutMicros,
        int result, LargeFdSet readReturned, LargeFdSet writeReturned, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("select sockets=").Append(sockets);
        AppendSet(" read=", readGiven);
        AppendSet(" write=", writeGiven);
        _log.Append(" timeout=");
        if (timeoutMicros < 0) _log.Append("inf");
        else _log.AppendMs(timeoutMicros / 1000.0);
        // The seam returns -errno; the line shows what select(2) itself returned, -1, then the name.
        _log.Append(" -> ").Append(result < 0 ? -1 : result);
        if (result > 0)
        {
            AppendSet(" read=", readReturned);
            AppendSet(" write=", writeReturned);
        }
        else if (result < 0)
        {
            SelectTrace.AppendErrnoName(_log, -result);
        }
        _log.Append(" waited=");
        _log.AppendMs(waitedMs);
        _log.End();
    }

    public void RecordSleep(long timeoutMicros, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("sleep (every set empty: Winsock select would fail) timeout=");
        _log.AppendMs(timeoutMicros / 1000.0);
        _log.Append(" waited=");
        _log.AppendMs(waitedMs);
        _log.End();
    }

    private void AppendSet(string label, LargeFdSet set)
    {
        _log.Append(label).Append('{');
        for (int i = 0; i < set.Count; i++)
        {
            if (i > 0) _log.Append(',');
            _log.Append((long)set[i]);
        }
        _log.Append('}');
    }
}
