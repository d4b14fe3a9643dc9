using System.Diagnostics;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// Idle memory must not follow the descriptor limit: hard limits of 1,048,576 are common in
/// containers. This machine (like most CI runners) cannot raise its own hard limit, so a small
/// preloaded library makes getrlimit report a hard limit of 1,048,576 and setrlimit accept it;
/// the server then sizes its sets for a million descriptors, and its idle RSS must stay that of
/// a server with a limit of a few thousand.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class HighDescriptorLimitTests
{
    private const string Shim = """
        #define _GNU_SOURCE
        #include <sys/resource.h>
        #include <dlfcn.h>
        static rlim_t raised;
        int getrlimit(__rlimit_resource_t r, struct rlimit *l) {
            int (*real)(__rlimit_resource_t, struct rlimit *) = (int (*)(__rlimit_resource_t, struct rlimit *))dlsym(RTLD_NEXT, "getrlimit");
            int rc = real(r, l);
            if (rc == 0 && r == RLIMIT_NOFILE) { l->rlim_max = 1048576; if (raised) l->rlim_cur = raised; }
            return rc;
        }
        int setrlimit(__rlimit_resource_t r, const struct rlimit *l) {
            if (r == RLIMIT_NOFILE) { raised = l->rlim_cur; return 0; }
            int (*real)(__rlimit_resource_t, const struct rlimit *) = (int (*)(__rlimit_resource_t, const struct rlimit *))dlsym(RTLD_NEXT, "setrlimit");
            return real(r, l);
        }
        """;

    private readonly ITestOutputHelper _out;

    public HighDescriptorLimitTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void Idle_RSS_with_a_million_descriptor_limit_is_that_of_a_small_one()
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-rlimit-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "shim.c"), Shim);
            var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-O2", "-o", Path.Combine(dir, "shim.so"), Path.Combine(dir, "shim.c"), "-ldl"])
                { RedirectStandardError = true })!;
            string err = gcc.StandardError.ReadToEnd();
            Assert.True(gcc.WaitForExit(30_000) && gcc.ExitCode == 0, $"gcc failed: {err}");

            long small = IdleRss(null, "descriptor-hard-limit=4096");
            long million = IdleRss($"LD_PRELOAD={dir}/shim.so", "fd-setsize=1048576 descriptor-limit=1048576 descriptor-limit-was=1024 descriptor-hard-limit=1048576");
            _out.WriteLine($"idle RSS: {small} KiB with a 4096 limit, {million} KiB with a 1,048,576 limit");
            Assert.True(million - small < 512, $"idle RSS grew from {small} to {million} KiB with the limit");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long IdleRss(string? env, string expected)
    {
        string prefix = "ulimit -S -n 1024 && ulimit -H -n 4096" + (env is null ? "" : $" && export {env}");
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--log-level", "info"], prefix);
        var clock = Stopwatch.StartNew();
        while (!server.Stderr.Contains("serving:") && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(10);
        Assert.Contains(expected, server.Stderr);
        Thread.Sleep(300);
        long rss = server.RssKiB();
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        return rss;
    }
}
