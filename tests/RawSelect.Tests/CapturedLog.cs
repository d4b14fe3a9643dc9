using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RawSelect.Tests;

/// <summary>
/// A Log that writes plain lines (no timestamp) into a MemoryStream, and reads them back after
/// the log's writer thread has drained: the log is asynchronous, so a test must wait for it.
/// </summary>
public static class CapturedLog
{
    private static readonly ConditionalWeakTable<MemoryStream, Log> Logs = new();

    public static Log For(LogLevel level, MemoryStream into)
    {
        Log log = Log.Plain(level, into);
        Logs.AddOrUpdate(into, log);
        return log;
    }

    /// <summary>Everything the log wrote to the stream so far.</summary>
    public static string TextOf(MemoryStream stream)
    {
        if (Logs.TryGetValue(stream, out Log? log))
            Assert.True(log.Drain(Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency), "the log did not drain");
        lock (stream) return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
