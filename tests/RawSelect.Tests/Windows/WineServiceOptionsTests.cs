namespace RawSelect.Tests.Windows;

/// <summary>Issue 10 on Windows: no privilege drop there, said plainly; socket activation variables mean nothing.</summary>
[Collection(WineCollection.Name)]
public sealed class WineServiceOptionsTests : IClassFixture<WinePrefixUser>
{
    private readonly WinePrefixUser _prefix;

    public WineServiceOptionsTests(WinePrefixUser prefix) => _prefix = prefix;

    [WineTheory]
    [InlineData("--user", "nobody")]
    [InlineData("--group", "nogroup")]
    public void User_and_group_exit_2_as_not_supported(string option, string value)
    {
        _prefix.Prefix.EnsureReady();
        (int code, string stdout, string err) = WineServer.RunToExit(TimeSpan.FromSeconds(60), "--tcp", "127.0.0.1:0", option, value);
        Assert.True(code == 2, $"exit code {code}; stderr: {err}");
        Assert.Equal("", stdout);
        Assert.Contains($"rawselect: {option} is not supported on Windows", err);
    }
}
