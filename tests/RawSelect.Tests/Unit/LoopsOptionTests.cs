namespace RawSelect.Tests.Unit;

/// <summary>--loops N|auto and how auto is counted (affinity capped by the cgroup CPU quota).</summary>
public class LoopsOptionTests
{
    [Theory]
    [InlineData(new string[0], 1)]
    [InlineData(new[] { "--loops", "1" }, 1)]
    [InlineData(new[] { "--loops", "2" }, 2)]
    [InlineData(new[] { "--loops=1024" }, 1024)]
    [InlineData(new[] { "--loops", "auto" }, 0)]
    public void Loops_takes_1_to_1024_or_auto(string[] args, int loops)
    {
        Options? o = Options.Parse(args, out string err);
        Assert.True(o is not null, err);
        Assert.Equal(loops, o!.Loops);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1025")]
    [InlineData("two")]
    [InlineData("Auto")]
    [InlineData("99999999999999999999")]
    public void A_bad_loops_value_is_one_line_naming_it(string value)
    {
        Assert.Null(Options.Parse(["--loops", value], out string err));
        Assert.Equal($"invalid value '{value}' for --loops: expected a whole number from 1 to 1024, or auto", err);
    }

    [Fact]
    public void An_empty_loops_value_says_so() =>
        Assert.Equal("empty value for --loops", Options.Parse(["--loops", ""], out string err) is null ? err : "parsed");

    [Theory]
    [InlineData("max 100000", null)]
    [InlineData("150000 100000", 1.5)]
    [InlineData("200000 100000\n", 2.0)]
    [InlineData("garbage", null)]
    public void Cgroup_v2_cpu_max(string text, double? cpus) => Assert.Equal(cpus, CpuBudget.QuotaV2(text));

    [Theory]
    [InlineData("-1", "100000", null)]
    [InlineData("50000", "100000", 0.5)]
    [InlineData("300000\n", "100000\n", 3.0)]
    public void Cgroup_v1_cfs_quota(string quota, string period, double? cpus) => Assert.Equal(cpus, CpuBudget.QuotaV1(quota, period));

    [Fact]
    public void The_tightest_quota_on_the_path_to_the_root_counts_under_cgroup_v2()
    {
        var files = new Dictionary<string, string>
        {
            ["/proc/self/cgroup"] = "0::/app.slice/web.service\n",
            ["/proc/self/mountinfo"] = "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n",
            ["/sys/fs/cgroup/app.slice/web.service/cpu.max"] = "max 100000\n",
            ["/sys/fs/cgroup/app.slice/cpu.max"] = "250000 100000\n",
        };
        Assert.Equal(2.5, CpuBudget.Quota(p => files.GetValueOrDefault(p)));
    }

    [Fact]
    public void A_container_sees_its_own_cgroup_as_the_root_of_the_v1_cpu_mount()
    {
        var files = new Dictionary<string, string>
        {
            ["/proc/self/cgroup"] = "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
            ["/proc/self/mountinfo"] = "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
                                        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n",
            ["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us"] = "150000\n",
            ["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us"] = "100000\n",
        };
        Assert.Equal(1.5, CpuBudget.Quota(p => files.GetValueOrDefault(p)));
    }

    [Fact]
    public void No_cgroup_files_no_quota() => Assert.Null(CpuBudget.Quota(_ => null));
}
