using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// Root, with 127.0.0.1:7 free for TCP and UDP. Not root, or the port taken by something else:
/// skipped, with the reason. RAWSELECT_REQUIRE_PORT7=1 (set by .ci/run) turns the skip into a
/// run, which then fails saying why.
/// </summary>
public sealed partial class Port7FactAttribute : FactAttribute
{
    public Port7FactAttribute()
    {
        if (Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_PORT7") == "1") return;
        if (!OperatingSystem.IsLinux()) { Skip = "Linux only"; return; }
        if (geteuid() != 0) { Skip = "needs root: binding port 7 and setuid(2) do (CI runs as root)"; return; }
        string? taken = PrivilegeDropTests.Port7Taken();
        if (taken is not null) Skip = $"127.0.0.1:7 is in use on this machine ({taken}): stop that service to run this test";
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

[Collection(IntegrationCollection.Name)]
public class PrivilegeDropTests
{
    private readonly ITestOutputHelper _out;

    public PrivilegeDropTests(ITestOutputHelper output) => _out = output;

    /// <summary>Null if 127.0.0.1:7 can be bound for TCP and UDP, else what failed.</summary>
    public static string? Port7Taken()
    {
        foreach (bool tcp in new[] { true, false })
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 7));
            }
            catch (SocketException e) { return $"{(tcp ? "tcp" : "udp")}: {e.SocketErrorCode}"; }
        }
        return null;
    }

    /// <summary>
    /// What initgroups(3) would give a user, computed here from the files independently of the
    /// server: its passwd uid and gid, and the gid of every group listing it, plus the primary.
    /// </summary>
    private static (uint Uid, uint Gid, SortedSet<uint> Groups) Expected(string user)
    {
        string[] pw = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f.Length == 7 && f[0] == user);
        uint uid = uint.Parse(pw[2]), gid = uint.Parse(pw[3]);
        var groups = new SortedSet<uint> { gid };
        foreach (string[] f in File.ReadLines("/etc/group").Select(l => l.Split(':')).Where(f => f.Length == 4))
            if (f[3].Split(',').Contains(user)) groups.Add(uint.Parse(f[2]));
        return (uid, gid, groups);
    }

    /// <summary>Uid:, Gid: and Groups: of one status file.</summary>
    private static (uint[] Uid, uint[] Gid, SortedSet<uint> Groups, string[] Lines) Status(string path)
    {
        string[] lines = File.ReadAllLines(path).Where(l => l.StartsWith("Uid:") || l.StartsWith("Gid:") || l.StartsWith("Groups:")).ToArray();
        uint[] Field(string key) => lines.First(l => l.StartsWith(key)).Substring(key.Length)
            .Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToArray();
        return (Field("Uid:"), Field("Gid:"), new SortedSet<uint>(Field("Groups:")), lines);
    }

    /// <summary>Every thread, not only the main one: the runtime's threads must have dropped too.</summary>
    private void AssertIdentity(int pid, uint uid, uint gid, SortedSet<uint> groups)
    {
        string[] tasks = Directory.GetDirectories($"/proc/{pid}/task");
        Assert.True(tasks.Length >= 1);
        var main = Status($"/proc/{pid}/status");
        foreach (string l in main.Lines) _out.WriteLine($"/proc/{pid}/status {l}");
        _out.WriteLine($"({tasks.Length} threads checked)");
        foreach (string path in tasks.Select(t => Path.Combine(t, "status")).Prepend($"/proc/{pid}/status"))
        {
            var s = Status(path);
            Assert.Equal(new[] { uid, uid, uid, uid }, s.Uid); // real, effective, saved, filesystem
            Assert.Equal(new[] { gid, gid, gid, gid }, s.Gid);
            Assert.Equal(groups, s.Groups);
        }
    }

    [Port7Fact]
    public void Port_7_tcp_and_udp_served_as_nobody_with_nobodys_ids_and_groups()
    {
        Assert.True(Port7Taken() is null, $"127.0.0.1:7 is in use ({Port7Taken()}): this test needs it");
        (uint uid, uint gid, SortedSet<uint> groups) = Expected("nobody");
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:7", "--udp", "127.0.0.1:7", "--user", "nobody"]);

        Assert.Equal(new[] { "tcp 127.0.0.1:7", "udp 127.0.0.1:7" }, server.Listening.Select(l => $"{l.Proto} {l.EndPoint}"));
        AssertIdentity(server.Pid, uid, gid, groups);

        var ep = new IPEndPoint(IPAddress.Loopback, 7);
        using (var c = EchoClient.Connect(ep))
        {
            c.Send("echo on port 7\n"u8);
            var buf = new byte[15];
            int n = 0;
            while (n < buf.Length) n += c.Receive(buf, n, buf.Length - n, SocketFlags.None);
            Assert.Equal("echo on port 7\n"u8.ToArray(), buf);
        }
        Assert.Equal("udp on port 7"u8.ToArray(), EchoClient.UdpEcho(ep, "udp on port 7"u8.ToArray()));

        int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));
        _out.WriteLine(server.Stderr);
        Assert.Equal(0, code);
        Assert.DoesNotContain("running as root", server.Stderr);
        SignalTests.AssertNoCrash(server.Stderr);
    }

    [RootFact]
    public void A_numeric_uid_works_like_the_name()
    {
        (uint uid, uint gid, SortedSet<uint> groups) = Expected("nobody");
        using var server = ServerProcess.StartDefault("--user", uid.ToString());
        AssertIdentity(server.Pid, uid, gid, groups);
        Assert.Equal("n"u8.ToArray(), EchoClient.UdpEcho(server.Udp, "n"u8.ToArray()));
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    [RootFact]
    public void Group_replaces_the_primary_group()
    {
        uint uid = Expected("nobody").Uid;
        // initgroups(user, group): the group given, and the groups listing the user; not its passwd gid.
        var groups = new SortedSet<uint> { 12345 };
        foreach (string[] f in File.ReadLines("/etc/group").Select(l => l.Split(':')).Where(f => f.Length == 4))
            if (f[3].Split(',').Contains("nobody")) groups.Add(uint.Parse(f[2]));
        using var server = ServerProcess.StartDefault("--user", "nobody", "--group", "12345");
        AssertIdentity(server.Pid, uid, 12345, groups);
        Assert.Contains("info: dropped privileges to user nobody (uid 65534, gid 12345", server.Stderr);
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    [RootFact]
    public void As_root_without_user_one_warning_line_says_so()
    {
        using var server = ServerProcess.StartDefault();
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Assert.Single(server.Stderr.Split('\n'), l => l.EndsWith("info: warning: running as root; --user NAME drops privileges after binding"));
    }

    [Theory]
    [InlineData("unknown user 'no-such-user-xyz'", "--user", "no-such-user-xyz")]
    [InlineData("unknown group 'no-such-group-xyz'", "--user", "nobody", "--group", "no-such-group-xyz")]
    [InlineData("--group needs --user", "--group", "nogroup")]
    [InlineData("uid 0 (root)", "--user", "root")]
    [InlineData("give --group too", "--user", "4000000000")]
    public void Unknown_names_exit_2_with_one_line_before_anything_is_bound(string expected, params string[] args)
    {
        // Port 1 would need root to bind; nothing is bound at all when the name is wrong.
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(["--tcp", "127.0.0.1:0", .. args]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(expected, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>setpriv (util-linux) starts the server as nobody, without root.</summary>
    private static string[] AsNobody => ["--reuid=65534", "--regid=65534", "--clear-groups", ServerProcess.BinaryPath];

    [RootFact]
    public void Not_root_another_user_cannot_be_taken_exit_1_with_the_errno_text()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in AsNobody.Concat(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--user", "daemon"])) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000));
        Assert.Equal(1, p.ExitCode);
        Assert.Equal("", stdout); // never served: no listening line
        Assert.Contains("rawselect: cannot drop privileges to user daemon (uid 1, gid 1): setgroups: Operation not permitted (EPERM)",
            Assert.Single(err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [RootFact]
    public void Already_the_user_and_not_root_serves_as_it_with_nothing_to_drop()
    {
        using var server = ServerProcess.StartVia("setpriv", AsNobody, ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--user", "nobody"]);
        Assert.Equal("a"u8.ToArray(), EchoClient.UdpEcho(server.Udp, "a"u8.ToArray()));
        Assert.Equal(new[] { 65534u, 65534u, 65534u, 65534u }, File.ReadLines($"/proc/{server.Pid}/status").First(l => l.StartsWith("Uid:"))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(uint.Parse));
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Assert.DoesNotContain("running as root", server.Stderr);
    }
}
