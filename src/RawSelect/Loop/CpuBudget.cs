using System;
using System.Globalization;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// --loops auto: the CPUs this process may run on (sched_getaffinity: taskset, cpusets), capped
/// by its cgroup's CPU quota (cgroup v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us, the
/// tightest along the path to the root), rounded up: a container given 1.5 CPUs gets 2 loops.
/// </summary>
public static class CpuBudget
{
    public static int Loops(ISocketApi api, Log log)
    {
        int cpus = api.AvailableCpus();
        if (cpus <= 0) cpus = Environment.ProcessorCount;
        double? quota = Quota(ReadOrNull);
        int n = quota is double q ? Math.Min(cpus, (int)Math.Ceiling(q)) : cpus;
        n = Math.Clamp(n, 1, Options.MaxLoops);
        if (log.Info)
        {
            log.Begin("info").Append("loops: auto = ").Append(n).Append(" (affinity: ").Append(cpus).Append(" CPUs, cgroup quota: ")
                .Append(quota is double v ? Hundredths(v) + " CPUs" : "none").Append(')').End();
        }
        return n;
    }

    /// <summary>
    /// The CPU quota of this process's cgroups in CPUs, or null when there is none.
    /// <paramref name="read"/> reads a file (null if it cannot), so tests can hand in a tree.
    /// </summary>
    public static double? Quota(Func<string, string?> read)
    {
        string? cgroups = read("/proc/self/cgroup");
        string? mounts = read("/proc/self/mountinfo");
        if (cgroups is null || mounts is null) return null;
        double? best = null;
        foreach (string line in mounts.Split('\n'))
        {
            // "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu"
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            string[] head = line.Substring(0, dash).Split(' ');
            string[] tail = line.Substring(dash + 3).Split(' ');
            if (head.Length < 5 || tail.Length < 3) continue;
            string root = Unescape(head[3]), mountPoint = Unescape(head[4]);
            bool v2 = tail[0] == "cgroup2";
            bool v1cpu = tail[0] == "cgroup" && Array.IndexOf(tail[2].Split(','), "cpu") >= 0;
            if (!v2 && !v1cpu) continue;
            string? path = CgroupPath(cgroups, v2);
            if (path is null) continue;
            // The process's cgroup as seen under this mount (a container sees its own as "/").
            string rel = root != "/" && path.StartsWith(root, StringComparison.Ordinal) ? path.Substring(root.Length) : path;
            string dir = (mountPoint.TrimEnd('/') + "/" + rel.Trim('/')).TrimEnd('/');
            while (true)
            {
                double? q = v2 ? QuotaV2(read(dir + "/cpu.max")) : QuotaV1(read(dir + "/cpu.cfs_quota_us"), read(dir + "/cpu.cfs_period_us"));
                if (q is double x && (best is null || x < best)) best = x;
                if (dir.Length <= mountPoint.TrimEnd('/').Length) break;
                int slash = dir.LastIndexOf('/');
                if (slash <= 0) break;
                dir = dir.Substring(0, slash);
            }
        }
        return best;
    }

    /// <summary>The cgroup path in /proc/self/cgroup: "0::/path" (v2), "N:cpu,cpuacct:/path" (v1 cpu).</summary>
    public static string? CgroupPath(string cgroups, bool v2)
    {
        foreach (string line in cgroups.Split('\n'))
        {
            string[] f = line.Split(':', 3);
            if (f.Length < 3) continue;
            if (v2 ? f[0] == "0" && f[1].Length == 0 : Array.IndexOf(f[1].Split(','), "cpu") >= 0) return f[2].Trim();
        }
        return null;
    }

    /// <summary>cgroup v2 cpu.max: "max 100000" (no quota) or "150000 100000" (1.5 CPUs).</summary>
    public static double? QuotaV2(string? cpuMax)
    {
        if (cpuMax is null) return null;
        string[] f = cpuMax.Trim().Split(' ');
        if (f.Length != 2 || f[0] == "max") return null;
        return Ratio(f[0], f[1]);
    }

    /// <summary>cgroup v1: cpu.cfs_quota_us ("-1": none) over cpu.cfs_period_us.</summary>
    public static double? QuotaV1(string? quotaUs, string? periodUs)
    {
        if (quotaUs is null || periodUs is null) return null;
        return Ratio(quotaUs.Trim(), periodUs.Trim());
    }

    private static double? Ratio(string quota, string period)
    {
        if (!Options.TryParseCount(quota, out long q) || q <= 0) return null;
        if (!Options.TryParseCount(period, out long p) || p <= 0) return null;
        return (double)q / p;
    }

    /// <summary>mountinfo escapes spaces and the like as \040 (octal).</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';

    private static string? ReadOrNull(string path) => SmallFile.Read(path);

    /// <summary>"1.5", "2", "0.25": a quota in CPUs, without the general number formatter.</summary>
    private static string Hundredths(double v)
    {
        long h = (long)Math.Round(v * 100);
        long whole = h / 100, frac = h % 100;
        if (frac == 0) return whole.ToString(CultureInfo.InvariantCulture);
        return whole.ToString(CultureInfo.InvariantCulture) + "." + (frac % 10 == 0 ? (frac / 10).ToString(CultureInfo.InvariantCulture) : (frac < 10 ? "0" : "") + frac.ToString(CultureInfo.InvariantCulture));
    }
}
