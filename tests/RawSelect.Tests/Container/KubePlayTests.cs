using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using Xunit.Abstractions;
using static RawSelect.Tests.Container.PodmanFixture;

namespace RawSelect.Tests.Container;

/// <summary>deploy/kubernetes/rawselect.yaml, read as podman kube play reads it.</summary>
public static class KubeManifest
{
    public static string Path => System.IO.Path.Combine(ServerProcess.RepoRoot, "deploy", "kubernetes", "rawselect.yaml");

    public static string Text => File.ReadAllText(Path);

    /// <summary>The pod's securityContext.sysctls as NAME=VALUE.</summary>
    public static List<string> Sysctls() =>
        Regex.Matches(Text, @"- name: (\S+)\s*\n\s*value: ""?([^""\n]+)""?").Select(m => $"{m.Groups[1].Value}={m.Groups[2].Value}").ToList();
}

/// <summary>
/// The same image and manifest: podman kube play lets the Deployment's replicas run as pods, each
/// of which serves TCP and UDP echo on port 7 over IPv4 and IPv6, as uid 65534 with no
/// capabilities, no privilege escalation, a read-only root and the manifest's memory limit.
/// Clients reach each pod on its own loopback (as kubectl port-forward does), so nothing is
/// published. Podman before 4.6 ignores a pod's securityContext.sysctls (podman#16711); there
/// this podman's containers.conf sets the manifest's sysctls instead (default_sysctls), which is
/// what Kubernetes and newer podman do with the manifest itself.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class KubePlayTests : IClassFixture<KubePlayTests.KubePodman>
{
    public sealed class KubePodman : PodmanFixture
    {
        public KubePodman() : base(arch: null, () => Podman.Version() < new Version(4, 6) ? KubeManifest.Sysctls() : []) { }
    }

    private readonly KubePodman _podman;
    private readonly ITestOutputHelper _out;

    public KubePlayTests(KubePodman podman, ITestOutputHelper output)
    {
        _podman = podman;
        _out = output;
    }

    [PodmanFact]
    public void Kube_play_runs_each_replica_serving_tcp_and_udp_echo_on_port_7_and_kube_down_removes_them()
    {
        PodmanHost host = _podman.Host;
        string yaml = KubeManifest.Text;
        Assert.Contains("net.ipv4.ip_unprivileged_port_start=0", KubeManifest.Sysctls());
        int replicas = int.Parse(Regex.Match(yaml, @"replicas: (\d+)").Groups[1].Value);
        Assert.True(replicas >= 2, "one replica is not a way out of one machine");
        int probePort = int.Parse(Regex.Match(yaml, @"readinessProbe:\s*\n\s*tcpSocket:\s*\n\s*port: (\d+)").Groups[1].Value);
        long memoryLimit = long.Parse(Regex.Match(yaml, @"limits:\s*\n\s*memory: (\d+)Mi").Groups[1].Value) << 20;

        // The manifest names the image of the version it ships with, as podman load names it.
        Assert.Equal($"localhost/rawselect:{Packaging.PackagingTools.ProjectVersion}",
            Regex.Match(yaml, @"(?m)^\s*image:\s*(\S+)\s*$").Groups[1].Value);
        // The manifest as shipped, naming the image as podman load named it.
        string copy = Path.Combine(host.Dir, "rawselect.yaml");
        File.WriteAllText(copy, Regex.Replace(yaml, @"(?m)^(\s*image:\s*)\S+\s*$", "${1}" + _podman.Image));
        _out.WriteLine($"podman {Podman.Version()}: default_sysctls {(Podman.Version() < new Version(4, 6) ? string.Join(",", KubeManifest.Sysctls()) : "none")}");

        var clock = Stopwatch.StartNew();
        (int code, string o, string e) = host.Run("kube", "play", copy);
        _out.WriteLine($"podman kube play: exit {code}\n{o}{e}");
        Assert.True(code == 0, o + e);
        try
        {
            string[] pods = host.Ok("pod", "ps", "--format", "{{.Name}}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
            Assert.Equal(replicas, pods.Length);
            var containers = new List<string>();
            foreach (string pod in pods)
            {
                string c = host.Ok("ps", "-a", "--filter", $"pod={pod}", "--format", "{{.Names}}")
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(n => !n.EndsWith("-infra"));
                containers.Add(c);
                host.WaitListening(c, 4, TimeSpan.FromSeconds(30));
                Assert.Equal("", host.Inspect(c, "{{range $p, $b := .NetworkSettings.Ports}}{{$p}} {{end}}")); // nothing on the host's ports
            }
            _out.WriteLine($"{replicas} pods serving {clock.ElapsedMilliseconds} ms after podman kube play began");

            foreach (string c in containers)
            {
                int pid = host.Pid(c);
                AssertNobodyWithoutCapabilities(pid, _out.WriteLine);
                Assert.Equal("1", Status(pid)["NoNewPrivs"]); // allowPrivilegeEscalation: false
                Assert.Equal("true", host.Inspect(c, "{{.HostConfig.ReadonlyRootfs}}"));
                Assert.Equal(memoryLimit.ToString(), host.Inspect(c, "{{.HostConfig.Memory}}"));

                Socket[] s = PodNetwork.CreateIn(pid, () =>
                [
                    PodNetwork.Tcp(IPAddress.Loopback), PodNetwork.Tcp(IPAddress.Loopback), PodNetwork.Tcp(IPAddress.IPv6Loopback),
                    PodNetwork.Udp(IPAddress.Loopback), PodNetwork.Udp(IPAddress.IPv6Loopback),
                ]);
                try
                {
                    s[0].Connect(new IPEndPoint(IPAddress.Loopback, probePort)); // what the readiness probe does
                    s[1].Connect(new IPEndPoint(IPAddress.Loopback, 7));
                    s[2].Connect(new IPEndPoint(IPAddress.IPv6Loopback, 7));
                    byte[] big = EchoClient.Random(256 * 1024, pid);
                    Assert.Equal(EchoClient.Digest(big), EchoClient.Digest(TcpEcho(s[1], big)));
                    Assert.Equal("v6"u8.ToArray(), TcpEcho(s[2], "v6"u8.ToArray()));
                    byte[] d4 = EchoClient.Random(65507, 4), d6 = EchoClient.Random(65527, 6);
                    Assert.Equal(d4, UdpEcho(s[3], new IPEndPoint(IPAddress.Loopback, 7), d4));
                    Assert.Equal(d6, UdpEcho(s[4], new IPEndPoint(IPAddress.IPv6Loopback, 7), d6));
                }
                finally
                {
                    foreach (Socket x in s) x.Dispose();
                }
                _out.WriteLine($"{c}: served TCP and UDP on 127.0.0.1:7 and [::1]:7; RSS {RssKiB(pid)} KiB");
            }

            // Each replica stops as Kubernetes stops it (SIGTERM, then the grace period): exit 0.
            foreach (string pod in pods) host.Ok("pod", "stop", "--time", "10", pod);
            foreach (string c in containers)
            {
                Assert.Equal("0", host.Inspect(c, "{{.State.ExitCode}}"));
                SignalTests.AssertNoCrash(host.Logs(c));
            }
        }
        finally
        {
            (code, o, e) = host.Run("kube", "down", copy);
            _out.WriteLine($"podman kube down: exit {code}\n{o}{e}");
        }
        Assert.Equal(0, code);
        Assert.Empty(host.Ok("pod", "ps", "--format", "{{.Name}}").Trim());
        _out.WriteLine($"kube play to kube down: {clock.ElapsedMilliseconds} ms");
    }
}
