using System.Diagnostics;
using System.Text.RegularExpressions;
using RawSelect.Tests.Windows;
using Xunit.Abstractions;

namespace RawSelect.Tests.Release;

/// <summary>The rawselect.exe unpacked from the win-x64 zip, run under Wine: --version names win-x64 and no glibc.</summary>
[Collection(WineCollection.Name)]
public sealed class WindowsArchiveWineTests : IClassFixture<WinePrefixUser>
{
    private readonly WinePrefixUser _prefix;
    private readonly ITestOutputHelper _out;

    public WindowsArchiveWineTests(WinePrefixUser prefix, ITestOutputHelper output)
    {
        _prefix = prefix;
        _out = output;
    }

    [WineReleaseFact]
    public void Zipped_exe_under_Wine_reports_its_version_and_target()
    {
        _prefix.Prefix.EnsureReady();
        DirectoryInfo tmp = Directory.CreateTempSubdirectory("rawselect-zip-");
        try
        {
            ReleaseArtifacts.Unpack(ReleaseArtifacts.Archive("win-x64")!, tmp.FullName);
            string exe = Directory.GetFiles(tmp.FullName, "rawselect.exe", SearchOption.AllDirectories).Single();
            using var p = Process.Start(Wine.StartInfo(exe, ["--version"]))!;
            p.StandardInput.Close();
            Task<string> o = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(90)), "rawselect.exe --version did not exit under Wine");
            Assert.True(o.Wait(TimeSpan.FromSeconds(5)), "stdout stayed open");
            _out.WriteLine(o.Result);
            Assert.Equal(0, p.ExitCode);
            // Console output on Windows ends lines with \r\n.
            Assert.Matches(new Regex(@"\Arawselect \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?, win-x64\)\r?\n\z"), o.Result);
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }
}

/// <summary>Release archives and Wine: skipped with the reason without either, failed instead when RAWSELECT_REQUIRE_RELEASE=1 or RAWSELECT_REQUIRE_WINE=1.</summary>
public sealed class WineReleaseFactAttribute : FactAttribute
{
    public WineReleaseFactAttribute()
    {
        if (ReleaseArtifacts.SkipReason is string why && !ReleaseArtifacts.Required) Skip = why;
        else if (Wine.SkipReason is string wine && !Wine.Required) Skip = wine;
    }
}
