using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// The loop thread owns its descriptor table (unshare(CLONE_FILES)), proven on the real binary
/// through /proc/PID/task/TID/fd, which lists each thread's table: the sockets the loop opened
/// after the split are in its table and in no other thread's. The same check run with the split
/// turned off (RAWSELECT_FD_TABLE=shared) sees them in every thread's table, so it can fail. Every
/// helper thread the server has (log writers, the runtime's signal thread and the threads it
/// dispatches signals on) exists by then, so a thread started late from the loop, which would
/// share the loop's table, fails it too. Signals, the log and the trace work through the split.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class DescriptorTableTests
{
    private readonly ITestOutputHelper _out;

    public DescriptorTableTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("epoll")]
    public async Task The_loops_sockets_live_in_its_own_table_only_and_signals_log_and_trace_still_flow(string backend)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"rawselect-fdtable-{Guid.NewGuid():N}.trace");
        try
        {
            using var server = ServerProcess.StartDefault([.. Backends.Args(backend), "--trace-file", trace]);
            Assert.Contains("fd-table=private", server.StderrWhenItHas("serving:"));
            List<Socket> clients = await ConnectAndEcho(server, 4);
            try
            {
                // SIGUSR1 has the runtime start the threads it dispatches signals on: they must not
                // share the loop's table either.
                server.Signal(ServerProcess.SIGUSR1);
                Assert.Contains("info: counters ", server.StderrWhenItHas("info: counters "));

                Dictionary<int, HashSet<string>> tables = SocketsPerThread(server.Pid);
                _out.WriteLine(string.Join("\n", tables.Select(t => $"task {t.Key} ({Comm(server.Pid, t.Key)}): {t.Value.Count} sockets")));
                HashSet<string> loop = tables[server.Pid]; // --loops 1: the loop is the main thread
                // The TCP and UDP sockets and the 4 accepted connections, at least.
                Assert.True(loop.Count >= 6, $"the loop thread's table holds {loop.Count} sockets");
                var others = tables.Where(t => t.Key != server.Pid).ToList();
                Assert.True(others.Count >= 2, $"only {others.Count} other threads: the log writers and the signal thread should exist");
                foreach ((int tid, HashSet<string> sockets) in others)
                    Assert.True(!sockets.Overlaps(loop), $"thread {tid} ({Comm(server.Pid, tid)}) shares the loop's table: it sees {string.Join(", ", sockets.Intersect(loop))}");
            }
            finally
            {
                foreach (Socket c in clients) c.Dispose();
            }

            Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
            Assert.Contains("info: exit ", server.StderrWhenItHas("info: exit "));
            string traced = File.ReadAllText(trace);
            Assert.Contains($"trace: t=", traced);
            Assert.Contains(backend == "epoll" ? "epoll_wait" : $" {backend} ", traced);
            Assert.Contains("tcp-conn", traced);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Fact]
    public async Task With_the_split_turned_off_every_thread_sees_the_loops_sockets()
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"], $"export {DescriptorTableVariable}=shared");
        string err = server.StderrWhenItHas("serving:");
        Assert.Contains("fd-table=shared", err);
        Assert.Single(err.Split('\n'), l => l.StartsWith("info: descriptor table: shared with the process's other threads (RAWSELECT_FD_TABLE=shared)"));
        List<Socket> clients = await ConnectAndEcho(server, 2);
        try
        {
            Dictionary<int, HashSet<string>> tables = SocketsPerThread(server.Pid);
            HashSet<string> loop = tables[server.Pid];
            Assert.True(loop.Count >= 4);
            Assert.All(tables.Where(t => t.Key != server.Pid), t => Assert.True(t.Value.SetEquals(loop), $"thread {t.Key} has a table of its own"));
        }
        finally
        {
            foreach (Socket c in clients) c.Dispose();
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// A seccomp filter that makes unshare(2) fail, as a hardened container profile can: the server
    /// says so once at info, serves on the shared table, and still stops on SIGINT.
    /// </summary>
    [Theory]
    [InlineData(1, "Operation not permitted (EPERM)")]
    [InlineData(38, "Function not implemented (ENOSYS)")]
    public async Task When_unshare_is_refused_it_says_so_once_and_serves_on_the_shared_table(int errno, string text)
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-seccomp-").FullName;
        try
        {
            string launcher = CompileRefuseUnshare(dir);
            using var server = ServerProcess.StartVia(launcher, [errno.ToString(), ServerProcess.BinaryPath], ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]);
            string err = server.StderrWhenItHas("serving:");
            _out.WriteLine(err);
            Assert.Contains("fd-table=shared", err);
            string line = Assert.Single(err.Split('\n'), l => l.Contains("descriptor table"));
            Assert.Equal($"info: descriptor table: shared with the process's other threads (unshare(CLONE_FILES): {text}); select and poll take a reference on every watched descriptor on every call", line);
            List<Socket> clients = await ConnectAndEcho(server, 2);
            foreach (Socket c in clients) c.Dispose();
            Assert.Equal("x"u8.ToArray(), EchoClient.UdpEcho(server.Udp, "x"u8.ToArray()));
            Assert.Equal(0, server.StopWith(ServerProcess.SIGINT, TimeSpan.FromSeconds(5)));
            SignalTests.AssertNoCrash(server.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Socket activation through the split: the passed listener was inherited before it, so every
    /// thread holds it; the connections accepted from it are in the loop's table only.
    /// </summary>
    [Fact]
    public void A_passed_listener_serves_through_the_split_and_its_connections_stay_in_the_loops_table()
    {
        string launcher = Activation.SocketActivatePath ?? throw new InvalidOperationException(
            "systemd-socket-activate is missing: scripts/setup.sh installs Debian's systemd package, which ships it");
        int port = Activation.FreePort(tcp: true);
        var ep = new IPEndPoint(IPAddress.Loopback, port);
        Socket? first = null;
        using var server = ServerProcess.StartVia(launcher, ["-l", $"127.0.0.1:{port}", ServerProcess.BinaryPath], [],
            expectedSockets: 1, kick: () => first = Activation.ConnectRetrying(ep));
        using Socket c = first!;
        using Socket second = EchoClient.Connect(ep);
        foreach (Socket s in new[] { c, second })
        {
            s.Send("ping"u8);
            var got = new byte[4];
            int n = 0;
            while (n < 4) n += s.Receive(got, n, 4 - n, SocketFlags.None);
            Assert.Equal("ping"u8.ToArray(), got);
        }
        Assert.Contains("fd-table=private", server.StderrWhenItHas("serving:"));
        Dictionary<int, HashSet<string>> tables = SocketsPerThread(server.Pid);
        HashSet<string> loop = tables[server.Pid];
        string passed = Target(server.Pid, server.Pid, 3);
        Assert.Contains(passed, loop);
        foreach ((int tid, HashSet<string> sockets) in tables.Where(t => t.Key != server.Pid))
        {
            Assert.Contains(passed, sockets); // inherited before the split: in every table
            Assert.Equal(new[] { passed }, sockets.Intersect(loop).ToArray());
        }
        Assert.True(loop.Count >= 3, "the two accepted connections are not in the loop's table");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    private const string DescriptorTableVariable = "RAWSELECT_FD_TABLE";

    private static async Task<List<Socket>> ConnectAndEcho(ServerProcess server, int count)
    {
        var clients = new List<Socket>();
        for (int i = 0; i < count; i++)
        {
            Socket s = EchoClient.Connect(server.Tcp);
            clients.Add(s);
            byte[] msg = [(byte)i, 1, 2, 3];
            Assert.Equal(msg, await EchoClient.EchoAsync(s, msg, halfClose: false));
        }
        return clients;
    }

    /// <summary>Each thread's table, as the socket inodes it holds ("socket:[123]").</summary>
    private static Dictionary<int, HashSet<string>> SocketsPerThread(int pid)
    {
        var tables = new Dictionary<int, HashSet<string>>();
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            int tid = int.Parse(Path.GetFileName(task));
            var sockets = new HashSet<string>();
            foreach (string fd in Directory.GetFiles(Path.Combine(task, "fd")))
            {
                string? target = TryTarget(fd);
                if (target is not null && target.StartsWith("socket:", StringComparison.Ordinal)) sockets.Add(target);
            }
            tables[tid] = sockets;
        }
        return tables;
    }

    private static string Target(int pid, int tid, int fd) => TryTarget($"/proc/{pid}/task/{tid}/fd/{fd}") ?? "";

    private static string? TryTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; } // closed meanwhile
    }

    private static string Comm(int pid, int tid)
    {
        try { return File.ReadAllText($"/proc/{pid}/task/{tid}/comm").Trim(); }
        catch (IOException) { return "?"; }
    }

    /// <summary>
    /// A launcher that installs a seccomp filter answering unshare(2) with the errno in argv[1],
    /// then execs argv[2..]. Plain BPF, no libseccomp; x86-64 and arm64 syscall numbers come from
    /// the headers of the machine that compiles it, which is the machine that runs it.
    /// </summary>
    private const string RefuseUnshare = """
        #include <errno.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <stdlib.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <unistd.h>

        int main(int argc, char **argv) {
            if (argc < 3) return 127;
            unsigned err = (unsigned)atoi(argv[1]) & SECCOMP_RET_DATA;
            struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 126;
            if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 125;
            execv(argv[2], argv + 2);
            return 124;
        }
        """;

    private static string CompileRefuseUnshare(string dir)
    {
        string source = Path.Combine(dir, "refuse-unshare.c");
        string exe = Path.Combine(dir, "refuse-unshare");
        File.WriteAllText(source, RefuseUnshare);
        using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-o", exe, source]) { RedirectStandardError = true })!;
        string err = gcc.StandardError.ReadToEnd();
        Assert.True(gcc.WaitForExit(30_000) && gcc.ExitCode == 0, $"gcc failed: {err}");
        return exe;
    }
}
