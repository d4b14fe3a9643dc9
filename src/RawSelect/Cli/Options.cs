using System;
using System.Collections.Generic;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>The command line, validated. Every field holds a value the server can use as is.</summary>
public sealed class Options
{
    public const int DefaultBufferSize = 64 * 1024;
    public const int MaxBufferSize = 64 * 1024 * 1024;
    public const int DefaultBacklog = 128;
    public const int MaxBacklog = 65535;
    public const int MaxClientsLimit = 1_000_000;
    public const double MaxSeconds = 86_400 * 365;
    public const int MaxLoops = 1024;

    public List<NetAddress> Tcp { get; } = new();
    public List<NetAddress> Udp { get; } = new();
    public int BufferSize { get; private set; } = DefaultBufferSize;
    public int Backlog { get; private set; } = DefaultBacklog;
    public LogLevel LogLevel { get; private set; } = LogLevel.Info;
    /// <summary>0 = derived from FD_SETSIZE and the descriptor limit at start.</summary>
    public int MaxClients { get; private set; }
    /// <summary>
    /// --fd-setsize: the select backend's cap (Unix: descriptors below it; Windows: how many
    /// sockets). 0 = the descriptor limit (Unix) or 16384 (Windows). Checked against the
    /// descriptor limit at start, once it has been raised.
    /// </summary>
    public int FdSetSize { get; private set; }
    /// <summary>Milliseconds; 0 = connections may idle forever.</summary>
    public long IdleTimeoutMs { get; private set; }
    public long ShutdownTimeoutMs { get; private set; } = 1000;
    public bool AllowServicePorts { get; private set; }
    /// <summary>--backend: the multiplexer (select unless asked; Platform says where each exists).</summary>
    public SelectorBackend Backend { get; private set; } = SelectorBackend.Select;
    /// <summary>--log-timestamps: null = decide by destination (none under the journal).</summary>
    public bool? LogTimestamps { get; private set; }
    /// <summary>--trace-file: the trace goes there instead of stderr.</summary>
    public string? TraceFile { get; private set; }
    /// <summary>--user and --group as given (a name or a numeric id); resolved at start.</summary>
    public string? User { get; private set; }
    public string? Group { get; private set; }
    /// <summary>--loops: how many event loops, each on its own thread (Linux); 0 = auto (the
    /// CPUs this process may use), resolved at start. 1 is the single-loop server on the main thread.</summary>
    public int Loops { get; private set; } = 1;
    public bool ShowHelp { get; private set; }
    public bool ShowVersion { get; private set; }

    /// <summary>Parses argv. On failure returns null and a one-line message naming the bad value.</summary>
    public static Options? Parse(IReadOnlyList<string> args, out string error) => Parse(args, false, out error);

    /// <summary>
    /// With <paramref name="socketsPassed"/> (socket activation handed us sockets) the defaults
    /// are not added, and --no-tcp --no-udp is valid: the passed sockets are served.
    /// </summary>
    public static Options? Parse(IReadOnlyList<string> args, bool socketsPassed, out string error)
    {
        var box = new ErrorBox();
        Options? o = ParseCore(args, socketsPassed, box);
        error = box.Text;
        return o;
    }

    private sealed class ErrorBox
    {
        public string Text = "";
    }

    private static Options? ParseCore(IReadOnlyList<string> args, bool socketsPassed, ErrorBox box)
    {
        var o = new Options();
        bool noTcp = false, noUdp = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inline = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = arg.IndexOf('=');
                if (eq > 0) { name = arg.Substring(0, eq); inline = arg.Substring(eq + 1); }
            }

            switch (name)
            {
                case "--help": case "-h": o.ShowHelp = true; if (!NoValue()) return null; break;
                case "--version": o.ShowVersion = true; if (!NoValue()) return null; break;
                case "--no-tcp": noTcp = true; if (!NoValue()) return null; break;
                case "--no-udp": noUdp = true; if (!NoValue()) return null; break;
                case "--trace": o.LogLevel = LogLevel.Trace; if (!NoValue()) return null; break;
                case "--allow-service-ports": o.AllowServicePorts = true; if (!NoValue()) return null; break;
                case "--tcp":
                case "--udp":
                {
                    if (Value() is not string v) return null;
                    if (!ListenAddress.TryParse(v, out NetAddress a, out string why))
                    {
                        box.Text = $"invalid address '{v}' for {name}: {why}";
                        return null;
                    }
                    (name == "--tcp" ? o.Tcp : o.Udp).Add(a);
                    break;
                }
                case "--buffer-size":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseSize(v, out long n) || n < 1 || n > MaxBufferSize)
                    {
                        box.Text = $"invalid value '{v}' for --buffer-size: expected bytes from 1 to {MaxBufferSize} (suffixes K and M allowed)";
                        return null;
                    }
                    o.BufferSize = (int)n;
                    break;
                }
                case "--backlog":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseCount(v, out long n) || n < 1 || n > MaxBacklog)
                    {
                        box.Text = $"invalid value '{v}' for --backlog: expected a whole number from 1 to {MaxBacklog}";
                        return null;
                    }
                    o.Backlog = (int)n;
                    break;
                }
                case "--max-clients":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseCount(v, out long n) || n < 1 || n > MaxClientsLimit)
                    {
                        box.Text = $"invalid value '{v}' for --max-clients: expected a whole number from 1 to {MaxClientsLimit}";
                        return null;
                    }
                    o.MaxClients = (int)n;
                    break;
                }
                case "--fd-setsize":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseCount(v, out long n) || n < 1 || n > DescriptorLimits.MaxCapacity)
                    {
                        box.Text = $"invalid value '{v}' for --fd-setsize: expected a whole number from 1 to the descriptor limit";
                        return null;
                    }
                    o.FdSetSize = (int)n;
                    break;
                }
                case "--idle-timeout":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseSeconds(v, out long ms))
                    {
                        box.Text = $"invalid value '{v}' for --idle-timeout: expected seconds from 0 to {MaxSeconds} (0 = none)";
                        return null;
                    }
                    o.IdleTimeoutMs = ms;
                    break;
                }
                case "--shutdown-timeout":
                {
                    if (Value() is not string v) return null;
                    if (!TryParseSeconds(v, out long ms))
                    {
                        box.Text = $"invalid value '{v}' for --shutdown-timeout: expected seconds from 0 to {MaxSeconds}";
                        return null;
                    }
                    o.ShutdownTimeoutMs = ms;
                    break;
                }
                case "--user":
                case "--group":
                {
                    if (Value() is not string v) return null;
                    if (OperatingSystem.IsWindows()) { box.Text = $"{name} is not supported on Windows"; return null; }
                    if (name == "--user") o.User = v; else o.Group = v;
                    break;
                }
                case "--loops":
                {
                    if (Value() is not string v) return null;
                    if (v == "auto") { o.Loops = OperatingSystem.IsWindows() ? 1 : 0; break; }
                    if (!TryParseCount(v, out long n) || n < 1 || n > MaxLoops)
                    {
                        box.Text = $"invalid value '{v}' for --loops: expected a whole number from 1 to {MaxLoops}, or auto";
                        return null;
                    }
                    if (n > 1 && OperatingSystem.IsWindows())
                    {
                        box.Text = $"--loops {n} is not available on Windows: Winsock has no SO_REUSEPORT to share a port between loops, and threads have no descriptor tables of their own (only --loops 1)";
                        return null;
                    }
                    o.Loops = (int)n;
                    break;
                }
                case "--backend":
                {
                    if (Value() is not string v) return null;
                    SelectorBackend? backend = v switch
                    {
                        "select" => SelectorBackend.Select,
                        "poll" => SelectorBackend.Poll,
                        "epoll" => SelectorBackend.Epoll,
                        _ => null,
                    };
                    if (backend is null)
                    {
                        box.Text = $"invalid value '{v}' for --backend: expected select, poll or epoll";
                        return null;
                    }
                    o.Backend = backend.Value;
                    break;
                }
                case "--log-level":
                {
                    if (Value() is not string v) return null;
                    LogLevel? level = v switch
                    {
                        "quiet" => LogLevel.Quiet,
                        "error" => LogLevel.Error,
                        "info" => LogLevel.Info,
                        "debug" => LogLevel.Debug,
                        "trace" => LogLevel.Trace,
                        _ => null,
                    };
                    if (level is null)
                    {
                        box.Text = $"invalid value '{v}' for --log-level: expected quiet, error, info, debug or trace";
                        return null;
                    }
                    o.LogLevel = level.Value;
                    break;
                }
                case "--log-timestamps":
                {
                    if (Value() is not string v) return null;
                    if (v != "on" && v != "off")
                    {
                        box.Text = $"invalid value '{v}' for --log-timestamps: expected on or off";
                        return null;
                    }
                    o.LogTimestamps = v == "on";
                    break;
                }
                case "--trace-file":
                {
                    if (Value() is not string v) return null;
                    if (v.IndexOf('\0') >= 0)
                    {
                        box.Text = "invalid value for --trace-file: the path contains a NUL character";
                        return null;
                    }
                    o.TraceFile = v;
                    break;
                }
                default:
                    box.Text = arg.StartsWith('-') && arg.Length > 1
                        ? $"unknown option '{name}' (see --help)"
                        : $"unexpected argument '{arg}' (see --help)";
                    return null;
            }

            // Reads the option's value from "--opt=value" or the next argument.
            string? Value()
            {
                if (inline is not null)
                {
                    if (inline.Length == 0) { box.Text = $"empty value for {name}"; return null; }
                    return inline;
                }
                if (i + 1 >= args.Count) { box.Text = $"missing value for {name}"; return null; }
                string v = args[++i];
                if (v.Length == 0) { box.Text = $"empty value for {name}"; return null; }
                return v;
            }

            bool NoValue()
            {
                if (inline is null) return true;
                box.Text = $"option {name} takes no value (got '{inline}')";
                return false;
            }
        }

        if (noTcp && o.Tcp.Count > 0) { box.Text = "--no-tcp conflicts with --tcp"; return null; }
        if (noUdp && o.Udp.Count > 0) { box.Text = "--no-udp conflicts with --udp"; return null; }
        // Changing only the group of a process that stays root would drop nothing that matters.
        if (o.Group is not null && o.User is null) { box.Text = "--group needs --user (it sets the group of the user dropped to)"; return null; }
        if (o.ShowHelp || o.ShowVersion) return o;
        if (socketsPassed) return o;
        if (!noTcp && o.Tcp.Count == 0) o.Tcp.Add(NetAddress.IPv4Loopback(5000));
        if (!noUdp && o.Udp.Count == 0) o.Udp.Add(NetAddress.IPv4Loopback(6000));
        if (o.Tcp.Count == 0 && o.Udp.Count == 0) { box.Text = "--no-tcp and --no-udp leave nothing to serve"; return null; }
        return o;
    }

    /// <summary>A plain non-negative decimal: no sign, no spaces, no exponent.</summary>
    public static bool TryParseCount(string s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 18) return false;
        foreach (char c in s)
        {
            if (c < '0' || c > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    /// <summary>Bytes, optionally with a K or M suffix (binary: 64K = 65536).</summary>
    public static bool TryParseSize(string s, out long value)
    {
        value = 0;
        long mult = 1;
        if (s.Length > 1)
        {
            char last = char.ToUpperInvariant(s[^1]);
            if (last == 'K') mult = 1024;
            else if (last == 'M') mult = 1024 * 1024;
            if (mult != 1) s = s.Substring(0, s.Length - 1);
        }
        if (!TryParseCount(s, out long n) || n > long.MaxValue / mult) return false;
        value = n * mult;
        return true;
    }

    /// <summary>Seconds as a decimal ("1", "0.25"), to milliseconds.</summary>
    public static bool TryParseSeconds(string s, out long ms)
    {
        ms = 0;
        int dot = s.IndexOf('.');
        string whole = dot < 0 ? s : s.Substring(0, dot);
        string frac = dot < 0 ? "" : s.Substring(dot + 1);
        if (whole.Length == 0 && frac.Length == 0) return false;
        if (dot >= 0 && frac.Length == 0) return false;
        if (frac.Length > 3) return false; // finer than a millisecond means nothing here
        long w = 0;
        if (whole.Length > 0 && !TryParseCount(whole, out w)) return false;
        if (w > MaxSeconds) return false;
        long f = 0;
        if (frac.Length > 0)
        {
            if (!TryParseCount(frac, out f)) return false;
            for (int k = frac.Length; k < 3; k++) f *= 10;
        }
        ms = w * 1000 + f;
        return ms <= (long)(MaxSeconds * 1000);
    }
}
