using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

public static class Program
{
    public const int ExitOk = 0;
    public const int ExitBindFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitInternal = 70; // EX_SOFTWARE

    public static int Main(string[] args)
    {
        using Stream stdout = OpenStd(1);
        using Stream stderr = OpenStd(2);
        try
        {
            return Run(args, stdout, stderr);
        }
        catch (Exception e)
        {
            // Never a stack trace: one line that says what failed.
            // Our own failures say what failed; anything else is a bug, and its type is the best
            // clue left (the runtime's own message texts are trimmed out to keep the binary small).
            string what = e is NativeException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            WriteLine(stderr, $"rawselect: fatal: {OneLine(what)}");
            return ExitInternal;
        }
    }

    private static int Run(string[] args, Stream stdout, Stream stderr)
    {
        Options? options = Options.Parse(args, out string error);
        if (options is null)
        {
            WriteLine(stderr, $"rawselect: {OneLine(error)}");
            return ExitUsage;
        }
        // On Windows System.Console sets itself up on the first write through a console stream.
        // Have that happen now: after a bind that ran out of handles it could fail, and the
        // message saying so with it. (On Unix the streams are plain write(2): nothing to set up.)
        stderr.Write(Array.Empty<byte>(), 0, 0);
        // The runtime opens /dev/urandom (and keeps it) the first time something wants a random
        // seed, such as the first signal dispatched. Do it before serving, so the descriptor count
        // is settled before max-clients is derived and never grows mid-run.
        HashCode.Combine(0);
        if (options.ShowHelp) { WriteLine(stdout, HelpText.Usage); return ExitOk; }
        if (options.ShowVersion) { WriteLine(stdout, HelpText.Version); return ExitOk; }

        var log = new Log(options.LogLevel, stderr);
        ISocketApi api = Platform.CreateApi();
        DescriptorLimits.Limits limits = DescriptorLimits.Raise(api, log);
        if (DescriptorLimits.Capacity(options.FdSetSize, limits, OperatingSystem.IsWindows(), out string capacityError) is not int capacity)
        {
            WriteLine(stderr, $"rawselect: {OneLine(capacityError)}");
            return ExitUsage;
        }
        ISelector selector = Platform.CreateSelector(api, capacity, log);
        using var _ = selector;
        using var server = new Server(options, api, selector, log) { Limits = limits };

        string? bindError = server.Bind();
        if (bindError is not null)
        {
            WriteLine(stderr, $"rawselect: {bindError}");
            return ExitBindFailed;
        }

        // .NET installs no SIGTERM handler of its own, and its SIGINT default is to exit at once.
        // Both become a request to the loop; the callbacks run on another thread, so they only
        // set a flag and write to the wake-up pipe.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigusr1 = OperatingSystem.IsWindows() ? null
            : PosixSignalRegistration.Create((PosixSignal)SIGUSR1, ctx => { ctx.Cancel = true; server.RequestCounters(); });

        Write(stdout, server.ListeningLines());
        server.Run();
        return ExitOk;

        void Stop(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            server.RequestStop();
        }
    }

    private const int SIGUSR1 = 10; // Linux numbering; raw values are allowed by PosixSignalRegistration

    /// <summary>stdout (1) or stderr (2): write(2) on Unix, the console streams on Windows.</summary>
    private static Stream OpenStd(int fd)
    {
        if (OperatingSystem.IsWindows()) return fd == 1 ? Console.OpenStandardOutput() : Console.OpenStandardError();
        return new FdWriteStream(fd);
    }

    private static void Write(Stream s, string text)
    {
        byte[] b = Encoding.UTF8.GetBytes(text);
        try { s.Write(b, 0, b.Length); s.Flush(); } catch (IOException) { }
    }

    private static void WriteLine(Stream s, string text) => Write(s, text + "\n");

    /// <summary>
    /// A message quoting the command line stays one line, and a hostile argument cannot put
    /// control sequences on the operator's terminal: control characters become escapes.
    /// </summary>
    internal static string OneLine(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (!char.IsControl(c)) { sb.Append(c); continue; }
            sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\x{(int)c:x2}" });
        }
        return sb.ToString();
    }
}
