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
            WriteError(stderr, $"rawselect: fatal: {OneLine(what)}");
            return ExitInternal;
        }
    }

    private static int Run(string[] args, Stream stdout, Stream stderr)
    {
        // Socket activation first: passed sockets change what the command line may leave out.
        ISocketApi? processApi = Platform.ProcessApi;
        string? activationError = null;
        int passed = processApi is null ? 0 : SocketActivation.ReadEnvironment(processApi, out activationError);
        Options? options = Options.Parse(args, passed != 0, out string error);
        if (options is null)
        {
            WriteError(stderr, $"rawselect: {OneLine(error)}");
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

        if (Platform.Unavailable(options.Backend) is string unavailable)
        {
            WriteError(stderr, $"rawselect: {unavailable}");
            return ExitUsage;
        }

        if (passed < 0)
        {
            WriteError(stderr, $"rawselect: {activationError}");
            return ExitBindFailed;
        }
        UserDatabase.Target? dropTo = null;
        if (options.User is not null)
        {
            dropTo = UserDatabase.Resolve(options.User, options.Group, ReadOrEmpty("/etc/passwd"), ReadOrEmpty("/etc/group"), out string who);
            if (dropTo is null)
            {
                WriteError(stderr, $"rawselect: {who}");
                return ExitUsage;
            }
        }
        Stream? traceFile = null;
        if (options.TraceFile is not null)
        {
            traceFile = LogSetup.OpenTraceFile(options.TraceFile, out string why);
            if (traceFile is null)
            {
                WriteError(stderr, $"rawselect: {OneLine($"cannot open --trace-file '{options.TraceFile}': {why}")}");
                return ExitUsage;
            }
        }
        var log = new Log(options.LogLevel, stderr, LogSetup.StderrPrefix(options.LogTimestamps),
            traceFile, traceTimestamps: options.LogTimestamps ?? true);
        int code = Serve(options, passed, dropTo, log, stdout, stderr, out long drainDeadline);
        // After everything is closed, so the last lines (the exit counters, the trace of the
        // descriptors leaving) are queued too. They go out if stderr takes them; a stalled reader
        // is never waited on past the shutdown bound.
        log.Drain(drainDeadline);
        return code;
    }

    /// <summary>
    /// Below this descriptor limit a failure to set up what the threads share (the runtime's
    /// signal pipe, the wake-up pipes) is put down to the limit: stdio, those pipes, a listener,
    /// a UDP socket, the EMFILE spare and a client fit in 16 with room for the runtime.
    /// </summary>
    private const int StartupDescriptors = 16;

    /// <summary>Binds, serves until a signal, shuts down; everything it opened is closed when it returns.</summary>
    private static int Serve(Options options, int passed, UserDatabase.Target? dropTo, Log log, Stream stdout, Stream stderr, out long drainDeadline)
    {
        drainDeadline = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 10;
        ISocketApi api = Platform.CreateApi();
        // What other threads touch comes first (log writer threads, the wake-up pipe, the signal
        // registrations); then this thread, which runs the loop, takes a descriptor table of its
        // own, and every socket below is opened in it. See DescriptorTable.
        int loops = options.Loops > 0 ? options.Loops : CpuBudget.Loops(api, log);
        // The limit first (rlimits are the process's, not a table's): under a tiny one the
        // runtime's own signal pipe or our wake-up pipe is what fails, and that deserves a
        // sentence, not a type initializer's name.
        DescriptorLimits.Limits limits = DescriptorLimits.Raise(api, log);
        if (DescriptorLimits.Capacity(options.FdSetSize, limits, OperatingSystem.IsWindows(), out string capacityError) is not int capacity)
        {
            WriteError(stderr, $"rawselect: {OneLine(capacityError)}");
            return ExitUsage;
        }
        ProcessShared shared;
        try { shared = ProcessShared.Open(api, log, loops); }
        catch (Exception) when (limits.Soft < StartupDescriptors)
        {
            WriteError(stderr, $"rawselect: cannot start: the descriptor limit ({limits.Soft}) is too low for the runtime, the wake-up pipe and the sockets; raise it (ulimit -n {StartupDescriptors} or more)");
            return ExitBindFailed;
        }
        using var __ = shared;
        if (loops > 1) return ServeLoops(options, api, shared, limits, capacity, passed, dropTo, log, stdout, stderr, out drainDeadline);
        LoopContext loop = shared.Split(0);
        loop.ReportShared(log);
        ISelector selector = Platform.CreateSelector(api, capacity, log, options.Backend);
        if (log.Trace) selector = new TracingSelector(selector, log); // fd add/remove lines, any backend
        using var _ = selector;
        using var server = new Server(options, api, selector, loop) { Limits = limits };

        string? bindError = server.Bind(passed);
        if (bindError is not null)
        {
            WriteError(stderr, $"rawselect: {bindError}");
            return ExitBindFailed;
        }
        if (!DropPrivileges(api, dropTo, log, stderr)) return ExitBindFailed;

        Write(stdout, server.ListeningLines());
        server.Run();
        drainDeadline = server.LogDrainDeadline;
        return ExitOk;
    }

    /// <summary>--loops N > 1: the coordinator binds every loop, then the same steps as above.</summary>
    private static int ServeLoops(Options options, ISocketApi api, ProcessShared shared, DescriptorLimits.Limits limits, int capacity,
        int passed, UserDatabase.Target? dropTo, Log log, Stream stdout, Stream stderr, out long drainDeadline)
    {
        drainDeadline = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 10;
        var coordinator = new Coordinator(options, api, shared, capacity, limits, passed);
        string? bindError = coordinator.Bind();
        if (bindError is not null || coordinator.Failure is not null)
        {
            coordinator.Abort();
            if (coordinator.Failure is not null)
            {
                WriteError(stderr, $"rawselect: fatal: {OneLine(coordinator.Failure)}");
                return ExitInternal;
            }
            WriteError(stderr, $"rawselect: {bindError}");
            return ExitBindFailed;
        }
        if (!DropPrivileges(api, dropTo, log, stderr))
        {
            coordinator.Abort();
            return ExitBindFailed;
        }
        Write(stdout, coordinator.ListeningLines());
        int code = coordinator.Serve(out drainDeadline);
        if (coordinator.Failure is not null) WriteError(stderr, $"rawselect: fatal: {OneLine(coordinator.Failure)}");
        return code;
    }

    /// <summary>--user: once every socket is bound. False (the error written) if it failed.</summary>
    private static bool DropPrivileges(ISocketApi api, UserDatabase.Target? dropTo, Log log, Stream stderr)
    {
        if (dropTo is not null)
        {
            string? dropError = PrivilegeDrop.Apply(api, dropTo);
            if (dropError is not null)
            {
                WriteError(stderr, $"rawselect: {dropError}");
                return false;
            }
            if (log.Info)
            {
                log.Begin("info").Append("dropped privileges to user ").Append(OneLine(dropTo.Name))
                    .Append(" (uid ").Append(dropTo.Uid).Append(", gid ").Append(dropTo.Gid)
                    .Append(", groups ").Append(string.Join(",", dropTo.Groups)).Append(')').End();
            }
        }
        else if (!OperatingSystem.IsWindows() && api.GetIdentity().EUid == 0 && log.Info)
        {
            log.Begin("info").Append("warning: running as root; --user NAME drops privileges after binding").End();
        }
        return true;
    }

    /// <summary>/etc/passwd or /etc/group; a host without one still takes numeric ids.</summary>
    private static string ReadOrEmpty(string path)
    {
        return SmallFile.Read(path) ?? "";
    }

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
    /// The server's own last words (usage, bind failure, fatal), written before or after the log
    /// runs. Under the journal they carry the error priority like every error line; elsewhere
    /// they stay plain, so "rawselect: ..." is what a shell user sees.
    /// </summary>
    private static void WriteError(Stream s, string text) =>
        WriteLine(s, LogSetup.StderrIsJournal() ? "<3>" + text : text);

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
