using System.Diagnostics;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// --trace for the epoll backend: each change to the kernel's interest list
/// ("epoll_ctl ADD fd=5 events=in", "epoll_ctl DEL fd=5") and each wait with what it returned:
/// "epoll_wait maxevents=1024 timeout=inf -> 2 events={5:in,7:out+hup} waited=0.050ms".
/// </summary>
public sealed class EpollTrace
{
    private readonly Log _log;

    public EpollTrace(Log log) => _log = log;

    public void Control(int op, int fd, uint events, int result)
    {
        _log.Begin("trace").Append("epoll_ctl ")
            .Append(op switch { Libc.EPOLL_CTL_ADD => "ADD", Libc.EPOLL_CTL_MOD => "MOD", Libc.EPOLL_CTL_DEL => "DEL", _ => "?" })
            .Append(" fd=").Append(fd);
        if (op != Libc.EPOLL_CTL_DEL)
        {
            _log.Append(" events=");
            TraceFormat.Events(_log, events);
        }
        if (result < 0)
        {
            _log.Append(" -> ");
            TraceFormat.Result(_log, result);
        }
        _log.End();
    }

    public void Wait(int maxevents, int timeoutMs, int result, EpollReady[] ready, long started)
    {
        double waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _log.Begin("trace").Append("epoll_wait maxevents=").Append(maxevents).Append(" timeout=");
        TraceFormat.Timeout(_log, timeoutMs);
        _log.Append(" -> ");
        TraceFormat.Result(_log, result);
        if (result > 0)
        {
            _log.Append(" events={");
            for (int i = 0; i < result; i++)
            {
                if (i > 0) _log.Append(',');
                _log.Append(ready[i].Fd).Append(':');
                TraceFormat.Events(_log, ready[i].Events);
            }
            _log.Append('}');
        }
        _log.Append(" waited=").AppendMs(waitedMs);
        _log.End();
    }
}
