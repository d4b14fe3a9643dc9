using System.Diagnostics;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// --trace for the poll backend: one line per call, the entries given and the revents returned:
/// "poll nfds=3 fds={3:in,4:in,5:in+out} timeout=inf -> 1 revents={5:in} waited=0.123ms".
/// </summary>
public sealed class PollTrace
{
    private readonly Log _log;

    public PollTrace(Log log) => _log = log;

    public void Record(PollFd[] fds, int nfds, int timeoutMs, int result, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("poll nfds=").Append(nfds).Append(" fds={");
        for (int i = 0; i < nfds; i++)
        {
            if (i > 0) _log.Append(',');
            _log.Append(fds[i].fd).Append(':');
            TraceFormat.Events(_log, (ushort)fds[i].events);
        }
        _log.Append("} timeout=");
        TraceFormat.Timeout(_log, timeoutMs);
        _log.Append(" -> ");
        TraceFormat.Result(_log, result);
        if (result > 0)
        {
            _log.Append(" revents={");
            bool first = true;
            for (int i = 0; i < nfds; i++)
            {
                if (fds[i].revents == 0) continue;
                if (!first) _log.Append(',');
                _log.Append(fds[i].fd).Append(':');
                TraceFormat.Events(_log, (ushort)fds[i].revents);
                first = false;
            }
            _log.Append('}');
        }
        _log.Append(" waited=").AppendMs(waitedMs);
        _log.End();
    }
}
