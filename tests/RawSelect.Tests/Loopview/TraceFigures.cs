using System.Globalization;
using System.Text.RegularExpressions;

namespace RawSelect.Tests.Loopview;

/// <summary>
/// The test's own reading of a trace, written apart from the viewer's scanner (regular
/// expressions over the contract in the README), so the page's figures are checked against an
/// independent computation. Strict: a trace line outside the contract is an error here, which
/// also checks that the real binary writes the contract.
/// </summary>
public sealed partial class TraceFigures
{
    public int Calls { get; private set; }
    public double Seconds { get; private set; } = double.NaN;
    public double MeanReady { get; private set; }
    public double MeanNfds { get; private set; }
    public double WaitedMs { get; private set; }
    public double HandlersMs { get; private set; }
    public double WaitedShare => WaitedMs / (WaitedMs + HandlersMs);
    public double CallsPerSecond => Calls / Seconds;
    public int Errors { get; private set; }
    public int TraceLines { get; private set; }
    public int TimedLines { get; private set; }
    public Dictionary<string, int> Roles { get; } = new();

    private const string Ms = @"\d+\.\d{3}ms";
    private const string Err = @"(?: [A-Z][A-Z0-9_]*| errno=\d+)?";
    private const string Timeout = "(?:inf|" + Ms + ")";

    [GeneratedRegex(@"^(?:<\d>)?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )?([a-z]+): (.*)$")]
    private static partial Regex Level();

    [GeneratedRegex(@"^t=(\d+) (.*)$")]
    private static partial Regex Time();

    [GeneratedRegex(@"^select (?:nfds|sockets)=(\d+) read=\{[\d,]*\} write=\{[\d,]*\} timeout=" + Timeout + @" -> (-?\d+)(?: read=\{[\d,]*\} write=\{[\d,]*\})?" + Err + @" waited=(\d+\.\d{3})ms$")]
    private static partial Regex Select();

    [GeneratedRegex(@"^sleep .* waited=(\d+\.\d{3})ms$")]
    private static partial Regex Sleep();

    [GeneratedRegex(@"^poll nfds=(\d+) fds=\{[\d:a-z0-9+,]*\} timeout=" + Timeout + @" -> (-?\d+)(?: revents=\{[\d:a-z0-9+,]*\})?" + Err + @" waited=(\d+\.\d{3})ms$")]
    private static partial Regex Poll();

    [GeneratedRegex(@"^epoll_ctl (ADD|MOD|DEL) fd=(\d+)(?: events=[a-z0-9+]+)?( -> -1 [A-Z0-9_=a-z]+)?$")]
    private static partial Regex EpollCtl();

    [GeneratedRegex(@"^epoll_wait maxevents=\d+ timeout=" + Timeout + @" -> (-?\d+)(?: events=\{[\d:a-z0-9+,]*\})?" + Err + @" waited=(\d+\.\d{3})ms$")]
    private static partial Regex EpollWait();

    [GeneratedRegex(@"^handlers ready=\d+ took=(\d+\.\d{3})ms$")]
    private static partial Regex Handlers();

    [GeneratedRegex(@"^fd \d+ (?:add|remove) (wake-pipe|tcp-listener|tcp-connection|udp-socket) \S+$")]
    private static partial Regex Fd();

    private static double D(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    public static TraceFigures Of(string path) => Of(File.ReadLines(path));

    public static TraceFigures Of(IEnumerable<string> lines)
    {
        var f = new TraceFigures();
        var registered = new HashSet<int>();
        long readySum = 0, nfdsSum = 0;
        long first = -1, prev = -1, spanUs = 0;
        bool handlersDue = false;
        int no = 0;
        foreach (string raw in lines)
        {
            no++;
            Match lv = Level().Match(raw);
            if (!lv.Success || lv.Groups[1].Value != "trace") continue;
            f.TraceLines++;
            string body = lv.Groups[2].Value;
            Match t = Time().Match(body);
            if (t.Success)
            {
                f.TimedLines++;
                long us = long.Parse(t.Groups[1].Value);
                if (first < 0) first = us;
                else if (us < prev) { spanUs += prev - first; first = us; }
                prev = us;
                body = t.Groups[2].Value;
            }
            Match m;
            int nfds, result;
            double waited;
            if ((m = Select().Match(body)).Success) { nfds = int.Parse(m.Groups[1].Value); result = int.Parse(m.Groups[2].Value); waited = D(m.Groups[3]); }
            else if ((m = Sleep().Match(body)).Success) { nfds = 0; result = 0; waited = D(m.Groups[1]); }
            else if ((m = Poll().Match(body)).Success) { nfds = int.Parse(m.Groups[1].Value); result = int.Parse(m.Groups[2].Value); waited = D(m.Groups[3]); }
            else if ((m = EpollWait().Match(body)).Success) { nfds = registered.Count; result = int.Parse(m.Groups[1].Value); waited = D(m.Groups[2]); }
            else if ((m = EpollCtl().Match(body)).Success)
            {
                if (m.Groups[3].Success) continue; // failed: the interest list is unchanged
                int fd = int.Parse(m.Groups[2].Value);
                if (m.Groups[1].Value == "DEL") registered.Remove(fd); else registered.Add(fd);
                continue;
            }
            else if ((m = Handlers().Match(body)).Success)
            {
                if (handlersDue) { f.HandlersMs += D(m.Groups[1]); handlersDue = false; }
                continue;
            }
            else if ((m = Fd().Match(body)).Success)
            {
                string role = m.Groups[1].Value;
                f.Roles[role] = f.Roles.GetValueOrDefault(role) + 1;
                continue;
            }
            else throw new FormatException($"line {no} is not a trace line of the contract: {raw}");

            f.Calls++;
            nfdsSum += nfds;
            readySum += Math.Max(0, result);
            f.WaitedMs += waited;
            if (result < 0) f.Errors++;
            handlersDue = result >= 0;
        }
        if (first >= 0) { spanUs += prev - first; f.Seconds = spanUs / 1e6; }
        f.MeanReady = (double)readySum / f.Calls;
        f.MeanNfds = (double)nfdsSum / f.Calls;
        return f;
    }
}
