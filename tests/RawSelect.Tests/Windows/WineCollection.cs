using System.Diagnostics;
using Xunit.Abstractions;

namespace RawSelect.Tests.Windows;

/// <summary>
/// Every test that runs Wine, one after another (2 cores; Wine's server is shared by all of them),
/// with one <see cref="WinePrefix"/> for the lot.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WineCollection : ICollectionFixture<WinePrefix>
{
    public const string Name = "Wine (the win-x64 build under Wine)";
}

/// <summary>
/// The private Wine prefix under artifacts/, prepared once per test run: wineboot on first use
/// (about 5 s here, once per fresh checkout; the time is reported), then one wineserver kept
/// alive across the servers the tests start, so each start does not pay Wine's own services'
/// start-up again. At the end of the run that wineserver (this prefix's only) is told to exit;
/// if the run is killed it exits by itself a minute after its last client.
/// Nothing happens at all when the tests are skipped.
/// </summary>
public sealed class WinePrefix : IDisposable
{
    private readonly object _gate = new();
    private bool _ready;
    private bool _serverStarted;

    public TimeSpan? WinebootTime { get; private set; }

    /// <summary>How long the first program in the Wine session took (Wine's services starting).</summary>
    public TimeSpan? WarmUpTime { get; private set; }

    public void EnsureReady()
    {
        lock (_gate)
        {
            if (_ready) return;
            if (Wine.SkipReason is string why) throw new InvalidOperationException(why);
            Directory.CreateDirectory(Path.GetDirectoryName(Wine.Prefix)!);
            if (Wine.Server is not null)
            {
                // First, so that wineboot and every server after it find it running. -p60: stay
                // up between the tests' servers; exit 60 s after the last client if nobody says
                // stop, so a killed test run leaves nothing behind for long. If this prefix's
                // wineserver is running already, this one exits at once and that one serves.
                Wine.Run(Wine.Server, TimeSpan.FromSeconds(30), "-p60");
                _serverStarted = true;
            }
            if (!File.Exists(Path.Combine(Wine.Prefix, "system.reg")))
            {
                (int code, string output, TimeSpan took) = Wine.Run(Wine.Loader!, TimeSpan.FromMinutes(3), "wineboot", "--init");
                if (code != 0) throw new InvalidOperationException($"wineboot --init failed ({code}): {output}");
                WinebootTime = took;
            }
            // Start Wine's own background processes (services.exe, winedevice.exe...) now, from a
            // process whose output goes to a file. Whichever Wine process comes first starts
            // them, and they inherit its stdout and stderr: if that were a test's server, its
            // pipes would stay open until this wineserver ends.
            (int wcode, string woutput, TimeSpan wtook) = Wine.Run(Wine.Loader!, TimeSpan.FromMinutes(2), "cmd.exe", "/c", "exit");
            if (wcode != 0) throw new InvalidOperationException($"Wine cannot run cmd.exe ({wcode}): {woutput}");
            WarmUpTime = wtook;
            _ready = true;
        }
    }

    public void Dispose()
    {
        if (!_serverStarted || Wine.Server is null) return;
        try
        {
            // -k: ends this prefix's wineserver and the Windows processes under it; nothing else.
            Wine.Run(Wine.Server, TimeSpan.FromSeconds(30), "-k");
        }
        catch (Exception) { }
    }
}

/// <summary>One server per test class: Wine start-up is slow, the tests leave it clean.</summary>
public abstract class WineServerFixture : IDisposable
{
    private readonly Lazy<WineServer> _server;

    protected WineServerFixture(WinePrefix prefix, params string[] args)
    {
        Prefix = prefix;
        _server = new Lazy<WineServer>(() =>
        {
            prefix.EnsureReady();
            int sockets = args.Count(a => a is "--tcp" or "--udp");
            return WineServer.Start(args, sockets, TimeSpan.FromSeconds(90));
        });
    }

    public WinePrefix Prefix { get; }

    /// <summary>Started on first use, so a skipped class never starts Wine.</summary>
    public WineServer Server => _server.Value;

    public void Dispose()
    {
        if (_server.IsValueCreated) _server.Value.Dispose();
    }
}

public sealed class DefaultWineServer : WineServerFixture
{
    public DefaultWineServer(WinePrefix prefix) : base(prefix, "--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0") { }
}

internal static class TimingLog
{
    /// <summary>Timings go to the test output and to stderr, so CI logs carry them.</summary>
    public static void Write(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        Console.Error.WriteLine($"[wine] {line}");
    }
}
