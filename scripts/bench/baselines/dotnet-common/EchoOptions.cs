// The command line shared by the .NET benchmark baselines (same contract as rawselect):
//   [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [--no-tcp] [--no-udp] [--buffer-size BYTES]
//   [--backlog N] [--log-level quiet|error|info|debug|trace]
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BenchBaseline;

sealed class EchoOptions
{
    public List<IPEndPoint> Tcp { get; } = new();
    public List<IPEndPoint> Udp { get; } = new();
    public int BufferSize { get; private set; } = 64 * 1024;
    public int Backlog { get; private set; } = 128;
    public int LogLevel { get; private set; } = 2; // quiet 0, error 1, info 2, debug 3, trace 4

    public static bool TryParse(string[] args, out EchoOptions o, out string error)
    {
        o = new EchoOptions();
        error = "";
        bool noTcp = false, noUdp = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            switch (a)
            {
                case "--tcp":
                case "--udp":
                    if (v is null || !TryParseEndPoint(v, out IPEndPoint? ep))
                    {
                        error = $"invalid address '{v}' for {a}";
                        return false;
                    }
                    (a == "--tcp" ? o.Tcp : o.Udp).Add(ep!);
                    i++;
                    break;
                case "--no-tcp": noTcp = true; break;
                case "--no-udp": noUdp = true; break;
                case "--buffer-size":
                    if (v is null || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int b) || b < 1 || b > 64 << 20)
                    {
                        error = $"invalid value '{v}' for --buffer-size";
                        return false;
                    }
                    o.BufferSize = b;
                    i++;
                    break;
                case "--backlog":
                    if (v is null || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int bl) || bl < 1)
                    {
                        error = $"invalid value '{v}' for --backlog";
                        return false;
                    }
                    o.Backlog = bl;
                    i++;
                    break;
                case "--log-level":
                    int lvl = Array.IndexOf(new[] { "quiet", "error", "info", "debug", "trace" }, v);
                    if (lvl < 0)
                    {
                        error = $"invalid value '{v}' for --log-level";
                        return false;
                    }
                    o.LogLevel = lvl;
                    i++;
                    break;
                default:
                    error = $"unknown argument '{a}'";
                    return false;
            }
        }
        if (o.Tcp.Count == 0 && !noTcp) o.Tcp.Add(new IPEndPoint(IPAddress.Loopback, 5000));
        if (o.Udp.Count == 0 && !noUdp) o.Udp.Add(new IPEndPoint(IPAddress.Loopback, 6000));
        if (noTcp) o.Tcp.Clear();
        if (noUdp) o.Udp.Clear();
        return true;
    }

    static bool TryParseEndPoint(string s, out IPEndPoint? ep)
    {
        ep = null;
        int colon = s.LastIndexOf(':');
        if (colon <= 0) return false;
        string host = s.Substring(0, colon);
        if (!int.TryParse(s.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            return false;
        if (host == "localhost") host = "127.0.0.1";
        if (host.StartsWith('[') && host.EndsWith(']')) host = host.Substring(1, host.Length - 2);
        else if (host.Contains(':')) return false;
        if (!IPAddress.TryParse(host, out IPAddress? addr)) return false;
        ep = new IPEndPoint(addr, port);
        return true;
    }

    /// <summary>"127.0.0.1:5000" or "[::1]:5000", the real port once bound.</summary>
    public static string Format(EndPoint? ep) =>
        ep is IPEndPoint ip
            ? ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip.Address}]:{ip.Port}" : $"{ip.Address}:{ip.Port}"
            : "?";

    public static Socket Open(IPEndPoint ep, SocketType type, int backlog)
    {
        var s = new Socket(ep.AddressFamily, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            if (ep.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
            if (type == SocketType.Stream) s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(ep);
            if (type == SocketType.Stream) s.Listen(backlog);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }
}
