using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Packaging;

/// <summary>
/// The release's .deb under a real systemd: a Debian 12 guest booted with systemd-nspawn
/// (NspawnGuest) installs it with dpkg, and everything the packaged units promise is checked
/// through that systemd, from the host, on port 7 of the shared loopback: nothing enabled by
/// the install; enable --now rawselect.socket, then TCP and UDP echo; a transient, unprivileged
/// user and the hardening in force (from /proc); journal priorities without doubled
/// timestamps; 5000 clients at once; kill -9 in the middle of a stream of new connections, none
/// lost; an upgrade restarting the running service; systemctl stop exiting 0 with the echo in
/// flight flushed; dpkg -r stopping it, and purge leaving nothing. One test, in order, since
/// each step starts from the state the last one left. It is in the integration collection, which
/// runs alone: nothing else holds port 7 meanwhile.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class SystemdNspawnTests
{
    private static readonly IPEndPoint Port7 = new(IPAddress.Loopback, 7);
    private static readonly TimeSpan Io = TimeSpan.FromSeconds(20);
    private readonly ITestOutputHelper _out;

    public SystemdNspawnTests(ITestOutputHelper output) => _out = output;

    [SystemdFact]
    public async Task Deb_under_systemd_serves_port_7_unprivileged_survives_kill_9_and_removes_cleanly()
    {
        Assert.True(NspawnGuest.SkipReason() is null, NspawnGuest.SkipReason());
        Assert.True(PackagingTools.PackagesSkipReason is null, PackagingTools.PackagesSkipReason);
        Assert.True(PrivilegeDropTests.Port7Taken() is null, $"port 7 on the host's loopback is in use ({PrivilegeDropTests.Port7Taken()}): the guest shares the host's network and needs it");
        string arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        string deb = $"/mnt/release/{Path.GetFileName(PackagingTools.Deb(arch))}";
        var total = Stopwatch.StartNew();

        using NspawnGuest guest = NspawnGuest.Boot(_out, $"{ReleaseArtifacts.Dir}:/mnt/release");
        var step = Stopwatch.StartNew();
        void Done(string what) { _out.WriteLine($"-- {what} ({step.Elapsed.TotalSeconds:0.0} s)"); step.Restart(); }

        // Install: systemd knows the units, nothing is enabled or started, port 7 is not served.
        _out.WriteLine(guest.Must("dpkg", "-i", deb));
        Assert.Equal("disabled", guest.Exec("systemctl", "is-enabled", "rawselect.socket").Output.Trim());
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.socket", "rawselect.service").Output.Split('\n')[0].Trim());
        Assert.Equal("/usr/bin/rawselect", Show(guest, "rawselect.service", "ExecStart").Split(' ', ';').First(p => p.StartsWith("path=")).Substring(5));
        AssertRefused();
        Done("dpkg -i: units installed, disabled, inactive; port 7 refused");

        guest.Must("systemctl", "enable", "--now", "rawselect.socket");
        Assert.Equal("active", guest.Exec("systemctl", "is-active", "rawselect.socket").Output.Trim());
        Assert.Equal("hello port 7\n", await TcpEcho("hello port 7\n"));
        Assert.Equal("datagram to port 7", UdpEcho("datagram to port 7"));
        bool ipv6 = Socket.OSSupportsIPv6 && Ipv6LoopbackWorks();
        if (ipv6) Assert.Equal("over ::1\n", await TcpEcho("over ::1\n", new IPEndPoint(IPAddress.IPv6Loopback, 7)));
        _out.WriteLine($"echo: tcp 127.0.0.1:7, udp 127.0.0.1:7{(ipv6 ? ", tcp [::1]:7" : " (no IPv6 loopback here: [::1] not tried)")}");
        Done("enable --now rawselect.socket: TCP and UDP echo on port 7");

        // The service's identity and confinement, read from /proc, beside what systemctl show says.
        int pid = MainPid(guest);
        string status = guest.Must("cat", $"/proc/{pid}/status");
        string[] uids = Field(status, "Uid").Split('\t', StringSplitOptions.RemoveEmptyEntries);
        _out.WriteLine($"service PID {pid} (in the guest): Uid {string.Join(' ', uids)}, Gid {Field(status, "Gid")}, CapEff {Field(status, "CapEff")}, CapBnd {Field(status, "CapBnd")}, NoNewPrivs {Field(status, "NoNewPrivs")}, Seccomp {Field(status, "Seccomp")}");
        Assert.Equal(4, uids.Length);
        Assert.All(uids, u => Assert.Equal(uids[0], u));
        int uid = int.Parse(uids[0]);
        Assert.NotEqual(0, uid);
        Assert.InRange(uid, 61184, 65519); // systemd's range for DynamicUser= uids
        Assert.Equal("0000000000000000", Field(status, "CapEff"));
        Assert.Equal("0000000000000000", Field(status, "CapBnd"));
        Assert.Equal("1", Field(status, "NoNewPrivs"));
        Assert.Equal("2", Field(status, "Seccomp")); // a seccomp filter: SystemCallFilter=, RestrictNamespaces= and friends
        foreach (string ns in new[] { "net", "mnt", "user" })
        {
            string mine = guest.Must("readlink", $"/proc/{pid}/ns/{ns}").Trim(), init = guest.Must("readlink", $"/proc/1/ns/{ns}").Trim();
            _out.WriteLine($"namespace {ns}: service {mine}, guest PID 1 {init}");
            Assert.NotEqual(init, mine); // PrivateNetwork=, the mount sandbox, PrivateUsers=
        }
        string mounts = guest.Must("cat", $"/proc/{pid}/mountinfo");
        string[] rootOpts = MountOptions(mounts, "/");
        _out.WriteLine($"service's / mount: {string.Join(',', rootOpts)}; /tmp {(MountOptions(mounts, "/tmp").Length > 0 ? "private" : "shared")}; /proc {string.Join(',', MountOptions(mounts, "/proc"))}");
        Assert.Contains("ro", rootOpts); // ProtectSystem=strict
        Assert.NotEmpty(MountOptions(mounts, "/tmp")); // PrivateTmp=
        Assert.Contains("/home", mounts.Split('\n').Select(l => l.Split(' ').ElementAtOrDefault(4))); // ProtectHome= hides it by a mount
        string[] procSuper = SuperOptions(mounts, "/proc");
        _out.WriteLine($"service's /proc: {string.Join(',', procSuper)}; /dev {string.Join(',', MountOptions(mounts, "/dev"))} ({guest.Must("ls", $"/proc/{pid}/root/dev").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} entries); /sys {string.Join(',', MountOptions(mounts, "/sys"))}");
        Assert.Contains("hidepid=invisible", procSuper); // ProtectProc=invisible
        Assert.Contains("subset=pid", procSuper); // ProcSubset=pid
        Assert.Contains("ro", MountOptions(mounts, "/dev")); // PrivateDevices=: a private, minimal /dev
        Assert.Contains("ro", MountOptions(mounts, "/sys")); // ProtectKernelTunables=
        string[] links = guest.Must("cat", $"/proc/{pid}/net/dev").Split('\n').Skip(2).Select(l => l.Trim().Split(':')[0]).Where(l => l.Length > 0).ToArray();
        _out.WriteLine($"network devices the service sees: {string.Join(' ', links)}");
        Assert.Equal(["lo"], links); // PrivateNetwork=
        Assert.NotEqual(guest.Must("readlink", "/proc/1/ns/uts").Trim(), guest.Must("readlink", $"/proc/{pid}/ns/uts").Trim()); // ProtectHostname=
        _out.WriteLine(guest.Exec("systemd-analyze", "security", "rawselect.service", "--no-pager").Output.Split('\n').LastOrDefault(l => l.Contains("Overall exposure")) ?? "(no systemd-analyze security score)");
        string limits = guest.Must("cat", $"/proc/{pid}/limits");
        long hardOfInit = long.Parse(Regex.Match(guest.Must("cat", "/proc/1/limits"), @"Max open files\s+\d+\s+(\d+)").Groups[1].Value);
        long nofile = long.Parse(Regex.Match(limits, @"Max open files\s+(\d+)").Groups[1].Value);
        _out.WriteLine($"service RLIMIT_NOFILE {nofile} (unit: 65536; the guest's PID 1 has a hard limit of {hardOfInit})");
        Assert.Equal(Math.Min(65536, hardOfInit), nofile);
        string[] hardening =
        [
            "DynamicUser=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=", "AmbientCapabilities=", "PrivateUsers=yes",
            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "PrivateNetwork=yes",
            "RestrictAddressFamilies=AF_INET AF_INET6", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
            "ProtectKernelLogs=yes", "ProtectControlGroups=yes", "ProtectClock=yes", "ProtectHostname=yes",
            "ProtectProc=invisible", "ProcSubset=pid", "RestrictNamespaces=yes", "RestrictRealtime=yes", "RestrictSUIDSGID=yes",
            "LockPersonality=yes", "MemoryDenyWriteExecute=yes", "RemoveIPC=yes", "KeyringMode=private",
            "SystemCallArchitectures=native", "UMask=0077", "LimitNOFILE=65536", "Restart=on-failure",
        ];
        string show = guest.Must("systemctl", "show", "--all", "rawselect.service", "--no-pager"); // --all: the empty ones too
        string[] shown = show.Split('\n');
        _out.WriteLine("systemctl show rawselect.service: " + string.Join(' ', hardening.Select(h => shown.FirstOrDefault(l => l.StartsWith(h.Split('=')[0] + "=", StringComparison.Ordinal)) ?? h.Split('=')[0] + " (absent)")));
        foreach (string h in hardening) Assert.Contains(h, shown);
        Assert.Matches(new Regex(@"^SystemCallFilter=", RegexOptions.Multiline), show);
        // What systemd could not apply inside the container, it says in the journal ("..., ignoring").
        string unitJournal = guest.Exec("journalctl", "-u", "rawselect.service", "-b", "--no-pager", "-o", "cat").Output;
        string[] notApplied = unitJournal.Split('\n').Where(l => l.Contains("ignoring", StringComparison.OrdinalIgnoreCase) || l.Contains("not supported", StringComparison.OrdinalIgnoreCase)).ToArray();
        _out.WriteLine($"systemd on the unit's sandbox in this container: {(notApplied.Length == 0 ? "nothing reported" : string.Join(" | ", notApplied))}");
        Done("identity and hardening");

        // The journal: the server's own lines carry PRIORITY 6 (info) or 3 (error), and no timestamp of their own.
        List<JournalEntry> entries = await WaitForJournal(guest, "rawselect.service", es => es.Any(e => e.Message.StartsWith("info: serving:", StringComparison.Ordinal)));
        JournalEntry serving = entries.First(e => e.Message.StartsWith("info: serving:", StringComparison.Ordinal));
        _out.WriteLine($"journal: PRIORITY={serving.Priority} MESSAGE={serving.Message}");
        Assert.Equal("6", serving.Priority);
        foreach (JournalEntry e in entries.Where(e => e.Fields.GetValueOrDefault("SYSLOG_IDENTIFIER") == "rawselect"))
        {
            Assert.DoesNotMatch(new Regex(@"^(<\d>)?\d{4}-\d\d-\d\dT\d\d:\d\d"), e.Message); // journald stamps the line; the server must not
            Assert.DoesNotMatch(new Regex(@"^<\d>"), e.Message); // the priority prefix was taken, not printed
            if (e.Message.StartsWith("info:", StringComparison.Ordinal) || e.Message.StartsWith("listening ", StringComparison.Ordinal)) Assert.Equal("6", e.Priority);
        }
        Match cap = Regex.Match(serving.Message, @"max-clients=(\d+) fd-setsize=(\d+) descriptor-limit=(\d+)");
        Assert.True(cap.Success, serving.Message);
        Assert.Equal(nofile, long.Parse(cap.Groups[3].Value));
        Assert.True(long.Parse(cap.Groups[1].Value) >= 5000, $"capacity below 5000: {serving.Message}");
        // An error line, from the packaged binary under the journal: a transient unit given a bad argument.
        guest.Exec("systemd-run", "--wait", "--collect", "--unit=bad-argument-probe", "/usr/bin/rawselect", "--backlog", "0");
        static bool FromServer(JournalEntry e) => e.Fields.GetValueOrDefault("SYSLOG_IDENTIFIER") == "rawselect";
        List<JournalEntry> errors = await WaitForJournal(guest, "bad-argument-probe.service", es => es.Any(e => FromServer(e) && e.Message.Contains("--backlog")));
        JournalEntry error = errors.First(e => FromServer(e) && e.Message.Contains("--backlog"));
        _out.WriteLine($"journal: PRIORITY={error.Priority} MESSAGE={error.Message}");
        Assert.Equal("3", error.Priority);
        Assert.StartsWith("rawselect: ", error.Message);
        _out.WriteLine("journalctl -o verbose, the serving line:\n" + string.Join('\n', serving.Raw));
        Done("journal priorities");

        // 5000 clients at once, each echoed; the server's counters see them open together.
        const int many = 5000;
        var clients = new List<Socket>(many);
        try
        {
            for (int i = 0; i < many; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                clients.Add(s);
                s.Connect(Port7);
            }
            for (int i = 0; i < many; i++) clients[i].Send(Encoding.ASCII.GetBytes($"c{i:D5}\n"));
            int echoed = 0;
            for (int i = 0; i < many; i++)
                if (await Read(clients[i], 7, Io) == $"c{i:D5}\n") echoed++;
            Assert.Equal(many, echoed);
            guest.Must("systemctl", "kill", "--kill-who=main", "--signal=SIGUSR1", "rawselect.service");
            List<JournalEntry> withCounters = await WaitForJournal(guest, "rawselect.service", es => es.Any(e => e.Message.StartsWith("info: counters ", StringComparison.Ordinal)));
            string counters = withCounters.Last(e => e.Message.StartsWith("info: counters ", StringComparison.Ordinal)).Message;
            _out.WriteLine($"{many} clients connected, {echoed} echoed; {counters}");
            Assert.True(Counter(counters, "tcp_open") >= many, counters);
            Assert.Equal(0, Counter(counters, "tcp_refused_max_clients") + Counter(counters, "tcp_refused_fd_limit"));
        }
        finally
        {
            foreach (Socket s in clients) s.Dispose();
        }
        Done($"{many} clients at once");

        // kill -9 in the middle of a stream of new connections: systemd restarts the service, and
        // the clients that connected while no process was there wait in the socket's backlog
        // (systemd holds the listening socket) and are served by the new process.
        int killed = MainPid(guest);
        var stream = new ConnectionStream(Port7);
        stream.Start();
        await Task.Delay(500);
        guest.Must("systemctl", "kill", "--kill-who=main", "--signal=SIGKILL", "rawselect.service");
        int restarted = 0;
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(20) && (restarted == 0 || restarted == killed))
        {
            restarted = MainPid(guest);
            await Task.Delay(20);
        }
        Assert.True(restarted != 0 && restarted != killed, $"no new main process within 20 s of kill -9 (was {killed})");
        await Task.Delay(700);
        List<Attempt> attempts = await stream.StopAsync(TimeSpan.FromSeconds(40));
        List<JournalEntry> afterKill = await WaitForJournal(guest, "rawselect.service", es =>
            es.Any(e => e.Fields.GetValueOrDefault("_PID") == restarted.ToString() && e.Message.StartsWith("listening tcp", StringComparison.Ordinal)));
        JournalEntry died = afterKill.Last(e => e.Message.Contains("Main process exited, code=killed, status=9/KILL"));
        JournalEntry back = afterKill.First(e => e.Fields.GetValueOrDefault("_PID") == restarted.ToString() && e.Message.StartsWith("listening tcp", StringComparison.Ordinal));
        Attempt[] whileDown = attempts.Where(a => a.ConnectedAt >= died.Time && a.ConnectedAt <= back.Time).ToArray();
        Attempt[] lost = attempts.Where(a => !a.Echoed).ToArray();
        string nRestarts = Show(guest, "rawselect.service", "NRestarts");
        _out.WriteLine($"kill -9 of PID {killed}: {attempts.Count} connections in the stream, {whileDown.Length} connected in the {(back.Time - died.Time).TotalMilliseconds:0} ms between the death (journal) and PID {restarted}'s listening line; echoed {attempts.Count(a => a.Echoed)}, lost {lost.Length}; NRestarts={nRestarts}");
        Assert.True(lost.Length == 0, $"{lost.Length} connections lost, e.g. {lost.FirstOrDefault()?.Error}");
        Assert.True(whileDown.Length > 0, "no connection was made while the service was down: the window was not exercised");
        Assert.All(whileDown, a => Assert.True(a.Echoed));
        Assert.Equal("1", nRestarts);
        Done("kill -9 and restart");

        // An upgrade (the same package again: dpkg runs it as an upgrade from the installed
        // version) restarts the running service on the new files; the socket stays.
        int beforeUpgrade = MainPid(guest);
        _out.WriteLine(guest.Must("dpkg", "-i", deb));
        int afterUpgrade = MainPid(guest);
        _out.WriteLine($"upgrade: main PID {beforeUpgrade} -> {afterUpgrade}");
        Assert.NotEqual(0, afterUpgrade);
        Assert.NotEqual(beforeUpgrade, afterUpgrade);
        const string afterUpgradeLine = "after upgrade\n";
        Assert.Equal(afterUpgradeLine, await TcpEcho(afterUpgradeLine));
        Done("upgrade restarts the running service");

        // systemctl stop with echo in flight: the client sends 64 KiB with a receive buffer of a
        // few KiB and reads nothing until the stop is under way, so most of the echo is still
        // held by the server (its send queue and its own buffer) when SIGTERM arrives. The server
        // has read every byte (its buffer never filled: no backpressure), flushes the echo as the
        // client reads, and exits 0.
        // Not asserted: a client still sending under backpressure when the stop comes leaves
        // unread bytes in the server's socket, so close(2) resets the connection and the kernel
        // drops echo the server had already handed it (seen: 1.7 of 4.3 MB counted as sent).
        int stopping = MainPid(guest);
        byte[] payload = new byte[64 << 10];
        new Random(862).NextBytes(payload);
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 })
        {
            s.Connect(Port7);
            Task sending = Task.Run(() => s.Send(payload));
            await Task.Delay(500); // the client's window fills: the rest of the echo waits in the server
            Task<(int, string)> stop = Task.Run(() => guest.Exec(TimeSpan.FromSeconds(30), "systemctl", "stop", "rawselect.service"));
            await Task.Delay(100);
            var received = new MemoryStream();
            var buf = new byte[1 << 16];
            var readFor = Stopwatch.StartNew();
            try
            {
                while (readFor.Elapsed < TimeSpan.FromSeconds(20))
                {
                    using var cts = new CancellationTokenSource(Io);
                    int n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                    if (n == 0) break;
                    received.Write(buf, 0, n);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
            (int stopCode, string stopOut) = await stop;
            s.Dispose();
            await sending;
            Assert.True(stopCode == 0, $"systemctl stop exited {stopCode}: {stopOut}");
            string result = Show(guest, "rawselect.service", "Result"), code = Show(guest, "rawselect.service", "ExecMainCode"), st = Show(guest, "rawselect.service", "ExecMainStatus");
            List<JournalEntry> exitLines = await WaitForJournal(guest, "rawselect.service", es =>
                es.Any(e => e.Fields.GetValueOrDefault("_PID") == stopping.ToString() && e.Message.StartsWith("info: exit ", StringComparison.Ordinal)));
            string exit = exitLines.Last(e => e.Fields.GetValueOrDefault("_PID") == stopping.ToString() && e.Message.StartsWith("info: exit ", StringComparison.Ordinal)).Message;
            byte[] got = received.ToArray();
            _out.WriteLine($"systemctl stop: exit {stopCode}, Result={result} ExecMainCode={code} ExecMainStatus={st}; client got back {got.Length} of {payload.Length} bytes sent; {exit}");
            Assert.Equal("success", result);
            Assert.Equal("0", st);
            Assert.Equal("1", code); // CLD_EXITED: it exited, it was not killed
            Assert.True(got.AsSpan().SequenceEqual(payload.AsSpan(0, got.Length)), "the echo is not a prefix of what was sent");
            long inBytes = Counter(exit, "tcp_bytes_in"), outBytes = Counter(exit, "tcp_bytes_out");
            Assert.True(inBytes > 0, exit);
            Assert.Equal(inBytes, outBytes); // every byte the server read went back out
            Assert.Equal(outBytes, afterUpgradeLine.Length + got.Length); // and reached the client (this process also echoed the line above)
            Assert.Equal(payload.Length, got.Length); // all of it
            Assert.Contains(exitLines, e => e.Fields.GetValueOrDefault("_PID") == stopping.ToString() && e.Message == "info: stopping: 1 connections open");
        }
        Done("systemctl stop flushes the echo in flight and exits 0");

        // dpkg -r stops everything and removes the files; purge leaves nothing.
        _out.WriteLine(guest.Must("dpkg", "-r", "rawselect"));
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.socket").Output.Trim());
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.service").Output.Trim());
        AssertRefused();
        Assert.NotEqual(0, guest.Exec("test", "-e", "/usr/bin/rawselect").Code);
        _out.WriteLine(guest.Must("dpkg", "--purge", "rawselect"));
        Assert.NotEqual(0, guest.Exec("dpkg", "-s", "rawselect").Code);
        string left = guest.Exec("find", "/etc", "/usr", "/var/lib", "/run/systemd", "-name", "*rawselect*").Output.Trim();
        _out.WriteLine($"after purge, files named *rawselect* under /etc /usr /var/lib /run/systemd: {(left.Length == 0 ? "none" : left)}");
        Assert.Equal("", left);
        Done("dpkg -r and --purge");

        // The loop thread's unshare(CLONE_FILES) (issue 14) must pass the unit's seccomp filter:
        // reported here, asserted once that feature is merged.
        string unshare = string.Join(" | ", guest.Exec("journalctl", "-b", "--no-pager", "-o", "cat").Output.Split('\n').Where(l => l.Contains("unshare", StringComparison.OrdinalIgnoreCase)));
        _out.WriteLine($"journal lines naming unshare: {(unshare.Length == 0 ? "none" : unshare)}");
        _out.WriteLine($"total {total.Elapsed.TotalSeconds:0.0} s (with boot)");
    }

    /// <summary>
    /// The .rpm's scriptlets under the same booted systemd (Debian's rpm in the guest; no EL
    /// machine is at hand), with the preset policy Fedora and RHEL ship (99-default-disable.preset:
    /// disable *): install leaves the units disabled and stopped, enable --now serves port 7, an
    /// upgrade restarts the running service, erase disables and stops it and leaves no file.
    /// --nodeps: the guest's rpm database knows no glibc (Debian's libc6 is in dpkg's).
    /// </summary>
    [SystemdFact]
    public async Task Rpm_scriptlets_under_systemd_install_disabled_restart_on_upgrade_and_erase_cleanly()
    {
        Assert.True(NspawnGuest.SkipReason() is null, NspawnGuest.SkipReason());
        Assert.True(PackagingTools.PackagesSkipReason is null, PackagingTools.PackagesSkipReason);
        Assert.True(PrivilegeDropTests.Port7Taken() is null, $"port 7 on the host's loopback is in use ({PrivilegeDropTests.Port7Taken()})");
        string arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "aarch64" : "x86_64";
        string rpm = $"/mnt/release/{Path.GetFileName(PackagingTools.Rpm(arch))}";

        using NspawnGuest guest = NspawnGuest.Boot(_out, $"{ReleaseArtifacts.Dir}:/mnt/release");
        guest.Must("sh", "-c", "echo 'disable *' >/usr/lib/systemd/system-preset/99-default-disable.preset");
        guest.Must("rpm", "--initdb");
        _out.WriteLine(guest.Must("rpm", "-i", "-v", "--nodeps", rpm));
        Assert.Equal("disabled", guest.Exec("systemctl", "is-enabled", "rawselect.socket").Output.Trim());
        Assert.Equal("disabled", guest.Exec("systemctl", "is-enabled", "rawselect.service").Output.Trim());
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.socket").Output.Trim());
        Assert.Equal("/usr/bin/rawselect", Show(guest, "rawselect.service", "ExecStart").Split(' ', ';').First(p => p.StartsWith("path=")).Substring(5));
        AssertRefused();
        _out.WriteLine("rpm -i: units disabled (preset), inactive, port 7 refused");

        guest.Must("systemctl", "enable", "--now", "rawselect.socket");
        Assert.Equal("rpm\n", await TcpEcho("rpm\n"));
        int before = MainPid(guest);
        _out.WriteLine(guest.Must("rpm", "-U", "-v", "--replacepkgs", "--nodeps", rpm));
        int after = MainPid(guest);
        _out.WriteLine($"rpm -U (the same package again): main PID {before} -> {after}");
        Assert.NotEqual(0, after);
        Assert.NotEqual(before, after);
        Assert.Equal("enabled", guest.Exec("systemctl", "is-enabled", "rawselect.socket").Output.Trim()); // the operator's choice survives
        Assert.Equal("upgraded\n", await TcpEcho("upgraded\n"));

        _out.WriteLine(guest.Must("rpm", "-e", "-v", "rawselect"));
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.socket").Output.Trim());
        Assert.Equal("inactive", guest.Exec("systemctl", "is-active", "rawselect.service").Output.Trim());
        AssertRefused();
        Assert.NotEqual(0, guest.Exec("rpm", "-q", "rawselect").Code);
        string left = guest.Exec("find", "/etc", "/usr", "/run/systemd", "-name", "*rawselect*").Output.Trim();
        _out.WriteLine($"rpm -e: socket and service inactive, port 7 refused; files named *rawselect* left under /etc /usr /run/systemd: {(left.Length == 0 ? "none" : left)}");
        Assert.Equal("", left);
    }

    private sealed record JournalEntry(DateTime Time, Dictionary<string, string> Fields, string[] Raw)
    {
        public string Message => Fields.GetValueOrDefault("MESSAGE") ?? "";
        public string Priority => Fields.GetValueOrDefault("PRIORITY") ?? "";
    }

    /// <summary>
    /// journalctl -o verbose for a unit this boot (the unit's own lines and systemd's about it),
    /// parsed: an entry starts with an unindented line whose cursor holds t= (realtime, hex
    /// microseconds), its fields follow indented as KEY=VALUE.
    /// </summary>
    private static List<JournalEntry> Journal(NspawnGuest guest, string unit)
    {
        string text = guest.Exec("journalctl", "-b", "-u", unit, "-o", "verbose", "--no-pager").Output;
        var list = new List<JournalEntry>();
        List<string>? raw = null;
        Dictionary<string, string>? fields = null;
        DateTime time = default;
        foreach (string line in text.Split('\n'))
        {
            Match head = Regex.Match(line, @"^\S.*\[s=[^;]*;i=[^;]*;b=[^;]*;m=[^;]*;t=([0-9a-f]+);");
            if (head.Success)
            {
                if (fields is not null) list.Add(new JournalEntry(time, fields, raw!.ToArray()));
                fields = new Dictionary<string, string>();
                raw = [line];
                time = DateTime.UnixEpoch.AddTicks(long.Parse(head.Groups[1].Value, NumberStyles.HexNumber) * 10);
            }
            else if (fields is not null && line.StartsWith("    ", StringComparison.Ordinal) && line.IndexOf('=') > 4)
            {
                raw!.Add(line);
                int eq = line.IndexOf('=');
                fields[line[4..eq]] = line[(eq + 1)..];
            }
        }
        if (fields is not null) list.Add(new JournalEntry(time, fields, raw!.ToArray()));
        return list;
    }

    /// <summary>The journal of a unit once it satisfies a condition (journald takes the lines asynchronously), within 15 s.</summary>
    private static async Task<List<JournalEntry>> WaitForJournal(NspawnGuest guest, string unit, Func<List<JournalEntry>, bool> ready)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            List<JournalEntry> entries = Journal(guest, unit);
            if (ready(entries)) return entries;
            if (sw.Elapsed > TimeSpan.FromSeconds(15))
                Assert.Fail($"the journal of {unit} did not show what was expected within 15 s:\n{string.Join('\n', entries.Select(e => $"PRIORITY={e.Priority} {e.Message}"))}");
            await Task.Delay(100);
        }
    }

    private static string Show(NspawnGuest guest, string unit, string property) =>
        guest.Must("systemctl", "show", unit, "-p", property, "--value").Trim();

    private static int MainPid(NspawnGuest guest) => int.Parse(Show(guest, "rawselect.service", "MainPID"));

    private static string Field(string status, string name) =>
        Regex.Match(status, "^" + name + @":\s*(.*)$", RegexOptions.Multiline).Groups[1].Value.Trim();

    /// <summary>The mount options of the last mount at a mount point in a mountinfo (the one in effect), or none.</summary>
    private static string[] MountOptions(string mountinfo, string point) =>
        mountinfo.Split('\n').Select(l => l.Split(' ')).Where(f => f.Length > 5 && f[4] == point).Select(f => f[5].Split(',')).LastOrDefault() ?? [];

    /// <summary>The super options (the file system's own: hidepid=, subset=) of the last mount at a mount point.</summary>
    private static string[] SuperOptions(string mountinfo, string point) =>
        mountinfo.Split('\n').Select(l => l.Split(' ')).Where(f => f.Length > 5 && f[4] == point).Select(f => f[^1].Split(',')).LastOrDefault() ?? [];

    private static long Counter(string line, string key) =>
        long.Parse(Regex.Match(line, @"\b" + key + @"=(\d+)").Groups[1].Value is { Length: > 0 } v ? v : throw new InvalidDataException($"no {key} in: {line}"));

    private static async Task<string> TcpEcho(string text, IPEndPoint? to = null)
    {
        using var s = new Socket((to ?? Port7).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(to ?? Port7);
        await s.SendAsync(Encoding.ASCII.GetBytes(text));
        return await Read(s, text.Length, Io);
    }

    private static string UdpEcho(string text)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        var buf = new byte[1024];
        for (int attempt = 0; attempt < 5; attempt++) // a datagram may be lost: try again, as a UDP client does
        {
            s.SendTo(Encoding.ASCII.GetBytes(text), Port7);
            try { return Encoding.ASCII.GetString(buf, 0, s.Receive(buf)); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { }
        }
        return "(no echo)";
    }

    private static async Task<string> Read(Socket s, int length, TimeSpan timeout)
    {
        var buf = new byte[length];
        int got = 0;
        using var cts = new CancellationTokenSource(timeout);
        while (got < length)
        {
            int n = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0) break;
            got += n;
        }
        return Encoding.ASCII.GetString(buf, 0, got);
    }

    private static void AssertRefused()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var e = Assert.Throws<SocketException>(() => s.Connect(Port7));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    private static bool Ipv6LoopbackWorks()
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException) { return false; }
    }

    private sealed record Attempt(int Index, DateTime ConnectedAt, bool Echoed, string? Error);

    /// <summary>
    /// New connections one after another (about one every 2 ms) on a thread of their own, each
    /// sending a line and waiting for its echo without blocking the next connect; stopped, it
    /// waits for the outstanding echoes (bounded) and returns every attempt.
    /// </summary>
    private sealed class ConnectionStream(IPEndPoint to)
    {
        private readonly ConcurrentBag<Task<Attempt>> _attempts = new();
        private volatile bool _stop;
        private Thread? _thread;

        public void Start()
        {
            _thread = new Thread(() =>
            {
                for (int i = 0; !_stop; i++)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    DateTime at;
                    try
                    {
                        s.Connect(to);
                        at = DateTime.UtcNow;
                    }
                    catch (SocketException e)
                    {
                        s.Dispose();
                        _attempts.Add(Task.FromResult(new Attempt(i, DateTime.UtcNow, false, $"connect: {e.SocketErrorCode}")));
                        continue;
                    }
                    _attempts.Add(Echo(s, i, at));
                    Thread.Sleep(2);
                }
            }) { IsBackground = true, Name = "connection stream" };
            _thread.Start();
        }

        private static async Task<Attempt> Echo(Socket s, int i, DateTime at)
        {
            using (s)
            {
                string line = $"stream {i}\n";
                try
                {
                    await s.SendAsync(Encoding.ASCII.GetBytes(line));
                    string back = await Read(s, line.Length, TimeSpan.FromSeconds(30));
                    return new Attempt(i, at, back == line, back == line ? null : $"echo {back.Length}/{line.Length} bytes");
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    return new Attempt(i, at, false, e.Message);
                }
            }
        }

        public async Task<List<Attempt>> StopAsync(TimeSpan bound)
        {
            _stop = true;
            _thread!.Join(bound);
            Task<Attempt[]> all = Task.WhenAll(_attempts);
            Assert.True(await Task.WhenAny(all, Task.Delay(bound)) == all, $"the stream's echoes did not all end within {bound}");
            return all.Result.OrderBy(a => a.Index).ToList();
        }
    }
}
