using System;
using System.Diagnostics;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// --trace: one line per select call, so a reader can watch the loop work:
/// "trace: select nfds=6 read={3,4,5} write={} timeout=inf -> 1 read={5} write={} waited=12.345ms".
/// </summary>
public sealed class SelectTrace
{
    private readonly Log _log;

    public SelectTrace(Log log) => _log = log;

    public void Record(int nfds, in FdSet readGiven, in FdSet writeGiven, long timeoutMicros,
        int result, in FdSet readReturned, in FdSet writeReturned, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("select nfds=").Append(nfds);
        AppendSet(" read=", readGiven, nfds);
        AppendSet(" write=", writeGiven, nfds);
        _log.Append(" timeout=");
        if (timeoutMicros < 0) _log.Append("inf");
        else _log.AppendMs(timeoutMicros / 1000.0);
        _log.Append(" -> ").Append(result);
        if (result > 0)
        {
            AppendSet(" read=", readReturned, nfds);
            AppendSet(" write=", writeReturned, nfds);
        }
        else if (result < 0)
        {
            _log.Append(" errno=").Append(-result);
        }
        _log.Append(" waited=");
        _log.AppendMs(waitedMs);
        _log.End();
    }

    private void AppendSet(string label, in FdSet set, int nfds)
    {
        _log.Append(label).Append('{');
        bool first = true;
        for (int fd = 0; fd < nfds; fd++)
        {
            if (!set.IsSet(fd)) continue;
            if (!first) _log.Append(',');
            _log.Append(fd);
            first = false;
        }
        _log.Append('}');
    }
}
