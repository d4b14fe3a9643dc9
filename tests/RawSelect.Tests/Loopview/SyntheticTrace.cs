using System.Globalization;
using System.Text;

namespace RawSelect.Tests.Loopview;

/// <summary>Contract traces of any size, shaped like a busy server's, for load-time measurements.</summary>
public static class SyntheticTrace
{
    /// <summary>epoll: the listener, then N connections registered, then waits that return a few of them each.</summary>
    public static int WriteEpoll(string path, int lineCount, int connections, int seed = 11)
    {
        var rnd = new Random(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        long t = 0;
        int lines = 0;
        void Line(string body) { t += rnd.Next(1, 40); w.Write("trace: t="); w.Write(t); w.Write(' '); w.Write(body); w.Write('\n'); lines++; }
        Line("epoll_ctl ADD fd=3 events=in"); Line("fd 3 add wake-pipe -");
        Line("epoll_ctl ADD fd=4 events=in"); Line("fd 4 add tcp-listener 127.0.0.1:5000");
        for (int i = 0; i < connections; i++)
        {
            int fd = 5 + i;
            Line($"epoll_ctl ADD fd={fd} events=in");
            Line($"fd {fd} add tcp-connection 127.0.0.1:{40000 + i}");
        }
        var sb = new StringBuilder();
        while (lines < lineCount - 2)
        {
            int n = rnd.Next(1, 5);
            sb.Clear().Append("epoll_wait maxevents=1024 timeout=inf -> ").Append(n).Append(" events={");
            for (int i = 0; i < n; i++) sb.Append(i > 0 ? "," : "").Append(5 + rnd.Next(connections)).Append(i == 0 && rnd.Next(8) == 0 ? ":out" : ":in");
            sb.Append("} waited=").Append((rnd.NextDouble() * 0.5).ToString("0.000", CultureInfo.InvariantCulture)).Append("ms");
            Line(sb.ToString());
            if (rnd.Next(50) == 0 && lines < lineCount - 3) Line($"epoll_ctl MOD fd={5 + rnd.Next(connections)} events=in+out");
            Line($"handlers ready={n} took={(rnd.NextDouble() * 0.05).ToString("0.000", CultureInfo.InvariantCulture)}ms");
        }
        while (lines < lineCount) Line("fd 3 remove wake-pipe -");
        return lines;
    }

    /// <summary>select with N connections watched: every line lists them all (the O(n) the viewer shows).</summary>
    public static int WriteSelect(string path, int lineCount, int connections, int seed = 12)
    {
        var rnd = new Random(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        long t = 0;
        int lines = 0;
        void Line(string body) { t += rnd.Next(1, 40); w.Write("trace: t="); w.Write(t); w.Write(' '); w.Write(body); w.Write('\n'); lines++; }
        Line("fd 3 add wake-pipe -"); Line("fd 4 add tcp-listener 127.0.0.1:5000");
        for (int i = 0; i < connections; i++) Line($"fd {5 + i} add tcp-connection 127.0.0.1:{40000 + i}");
        var all = new StringBuilder("{3,4");
        for (int i = 0; i < connections; i++) all.Append(',').Append(5 + i);
        string read = all.Append('}').ToString();
        int nfds = 5 + connections;
        var sb = new StringBuilder();
        while (lines < lineCount - 1)
        {
            int n = rnd.Next(1, 5);
            var ready = new SortedSet<int>();
            while (ready.Count < n) ready.Add(5 + rnd.Next(connections));
            sb.Clear().Append("select nfds=").Append(nfds).Append(" read=").Append(read).Append(" write={} timeout=inf -> ").Append(n)
                .Append(" read={").AppendJoin(',', ready).Append("} write={} waited=")
                .Append((rnd.NextDouble() * 0.5).ToString("0.000", CultureInfo.InvariantCulture)).Append("ms");
            Line(sb.ToString());
            Line($"handlers ready={n} took={(rnd.NextDouble() * 0.05).ToString("0.000", CultureInfo.InvariantCulture)}ms");
        }
        return lines;
    }
}
