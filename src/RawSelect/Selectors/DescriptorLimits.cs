using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// The descriptor budget, settled once at start, before the selector is built: raise the soft
/// RLIMIT_NOFILE to the hard limit (as nginx's worker_rlimit_nofile and Redis's
/// adjustOpenFilesLimit do: the soft limit is a default for programs that never asked, 1024 on
/// most systems, which is select's old ceiling by coincidence only), then size the selector from
/// it or from --fd-setsize.
/// </summary>
public static class DescriptorLimits
{
    /// <summary>The largest capacity taken: Linux's own ceiling on descriptors (fs.nr_open) is 2^30 - 8.</summary>
    public const int MaxCapacity = 1 << 30;

    /// <summary>RLIMIT_NOFILE before and after raising; all three equal where nothing was raised.</summary>
    public readonly record struct Limits(long SoftWas, long Soft, long Hard);

    /// <summary>
    /// Raises the soft limit to the hard one. A failure costs one error line and nothing else: the
    /// server serves within the soft limit it has.
    /// </summary>
    public static Limits Raise(ISocketApi api, Log log)
    {
        int r = api.GetDescriptorLimits(out long soft, out long hard);
        if (r == -Errno.ENOSYS)
        {
            long l = api.DescriptorLimit(); // Windows: no rlimit, a handle ceiling
            return new Limits(l, l, l);
        }
        if (r < 0)
        {
            if (log.Error) log.Begin("error").Append("cannot read the descriptor limit: getrlimit: ").AppendErrno(-r, api).End();
            long l = api.DescriptorLimit();
            return new Limits(l, l, l);
        }
        // RLIM_INFINITY is not a number setrlimit takes for descriptors (above fs.nr_open: EPERM).
        long target = Math.Min(hard, MaxCapacity);
        if (soft >= target) return new Limits(soft, soft, hard);
        r = api.SetDescriptorLimits(target, hard);
        if (r < 0)
        {
            if (log.Error)
            {
                log.Begin("error").Append("cannot raise the descriptor limit from ").Append(soft).Append(" to ").Append(target)
                    .Append(": setrlimit: ").AppendErrno(-r, api).Append("; serving within ").Append(soft).End();
            }
            return new Limits(soft, soft, hard);
        }
        return new Limits(soft, target, hard);
    }

    /// <summary>
    /// The selector's capacity: --fd-setsize if given (it may not exceed the descriptor limit:
    /// a bitmap bit no descriptor can ever have is a promise the server cannot keep), else the
    /// descriptor limit on Unix (every descriptor the process can be given then fits), else
    /// <see cref="WinsockSelector.DefaultCapacity"/> sockets on Windows. Null and a one-line
    /// message when --fd-setsize is too large.
    /// </summary>
    public static int? Capacity(int fdSetSize, in Limits limits, bool windows, out string error)
    {
        error = "";
        long limit = limits.Soft;
        if (fdSetSize > 0)
        {
            if (limit > 0 && fdSetSize > limit)
            {
                error = $"invalid value '{fdSetSize}' for --fd-setsize: above the descriptor limit ({limit}; hard limit {limits.Hard})";
                return null;
            }
            return fdSetSize;
        }
        if (windows) return limit > 0 ? (int)Math.Min(limit, WinsockSelector.DefaultCapacity) : WinsockSelector.DefaultCapacity;
        return limit > 0 ? (int)Math.Min(limit, MaxCapacity) : Libc.FD_SETSIZE;
    }
}
