using System.Net;
using System.Net.Sockets;
using RawSelect.Tests.Integration;

namespace RawSelect.Tests.Container;

/// <summary>
/// One private podman per test class, made on first use (a class whose tests are all skipped
/// never starts podman), with the release image in it: the host's platform through
/// <c>podman load</c>, as a user would, or another one through <c>podman pull --arch</c>.
/// </summary>
public abstract class PodmanFixture : IDisposable
{
    private readonly Lazy<(PodmanHost Host, string Image)> _ready;

    protected PodmanFixture(string? arch, Func<IReadOnlyList<string>>? defaultSysctls = null)
    {
        _ready = new(() =>
        {
            // Reached with a reason only under RAWSELECT_REQUIRE_PODMAN=1: fail saying why.
            if (Podman.SkipReason is string why) throw new InvalidOperationException($"the podman tests cannot run: {why}");
            var host = new PodmanHost(defaultSysctls?.Invoke() ?? []);
            try
            {
                string image;
                if (arch is null)
                {
                    image = host.Load(Podman.Archive!);
                }
                else
                {
                    string id = host.Ok("pull", "--arch", arch, "oci-archive:" + Podman.Archive).Trim().Split('\n')[^1];
                    image = host.Inspect(id, "{{index .RepoTags 0}}");
                }
                return (host, image);
            }
            catch
            {
                host.Dispose();
                throw;
            }
        });
    }

    public PodmanHost Host => _ready.Value.Host;

    /// <summary>The loaded image's name (localhost/rawselect:VERSION).</summary>
    public string Image => _ready.Value.Image;

    public void Dispose()
    {
        if (_ready.IsValueCreated) _ready.Value.Host.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A port free on 127.0.0.1 for TCP and UDP alike, to publish the container's port on.</summary>
    public static int FreePort()
    {
        for (int attempt = 0; ; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20) { }
        }
    }

    /// <summary>A TCP client of the published port (no spread source address: the port publisher masquerades 127.0.0.1).</summary>
    public static Socket Connect(IPEndPoint ep, int receiveBufferSize = 0)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0) s.ReceiveBufferSize = receiveBufferSize;
        s.ReceiveTimeout = s.SendTimeout = (int)EchoClient.Timeout.TotalMilliseconds;
        s.Connect(ep);
        return s;
    }

    /// <summary>Sends the data and reads the same number of bytes back; what came back.</summary>
    public static byte[] TcpEcho(Socket s, byte[] data) => EchoClient.EchoAsync(s, data, halfClose: false).GetAwaiter().GetResult();

    /// <summary>One datagram to <paramref name="to"/> from <paramref name="s"/> and its echo (three tries: UDP may drop).</summary>
    public static byte[] UdpEcho(Socket s, EndPoint to, byte[] payload)
    {
        s.ReceiveTimeout = 2000;
        var buf = new byte[65536];
        for (int attempt = 1; ; attempt++)
        {
            s.SendTo(payload, to);
            try
            {
                EndPoint from = new IPEndPoint(to.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
                int n = s.ReceiveFrom(buf, ref from);
                return buf[..n];
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut && attempt < 3) { }
        }
    }

    public static byte[] UdpEcho(IPEndPoint to, byte[] payload)
    {
        using var s = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        return UdpEcho(s, to, payload);
    }

    /// <summary>Uid, Gid and the capability sets of a process, from /proc/PID/status.</summary>
    public static Dictionary<string, string> Status(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => string.Join(' ', p[1].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)));

    /// <summary>Asserts a process runs as 65534:65534 on all four ids with no capability in any set it can use.</summary>
    public static void AssertNobodyWithoutCapabilities(int pid, Action<string> log)
    {
        Dictionary<string, string> st = Status(pid);
        foreach (string k in new[] { "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapAmb", "NoNewPrivs", "VmRSS" })
            if (st.TryGetValue(k, out string? v)) log($"/proc/{pid}/status {k}: {v}");
        Assert.Equal("65534 65534 65534 65534", st["Uid"]);
        Assert.Equal("65534 65534 65534 65534", st["Gid"]);
        Assert.Equal("0000000000000000", st["CapPrm"]);
        Assert.Equal("0000000000000000", st["CapEff"]);
        Assert.Equal("0000000000000000", st["CapAmb"]);
        Assert.Equal("0000000000000000", st["CapInh"]);
    }

    public static long RssKiB(int pid) => long.Parse(Status(pid)["VmRSS"].Split(' ')[0]);
}

/// <summary>The image for this machine's platform (amd64), loaded with podman load.</summary>
public sealed class HostImagePodman : PodmanFixture
{
    public HostImagePodman() : base(arch: null) { }
}

/// <summary>The arm64 image, pulled from the archive with podman pull --arch arm64.</summary>
public sealed class Arm64ImagePodman : PodmanFixture
{
    public Arm64ImagePodman() : base(arch: "arm64") { }
}
