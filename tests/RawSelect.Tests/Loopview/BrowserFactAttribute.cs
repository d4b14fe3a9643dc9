namespace RawSelect.Tests.Loopview;

/// <summary>
/// A fact that needs headless Chromium. Without it the test is skipped with the reason, never
/// silently passed; with RAWSELECT_REQUIRE_BROWSER=1 (CI) it runs and fails instead.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public static bool Required => Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_BROWSER") == "1";

    public BrowserFactAttribute()
    {
        if (Chromium.Find() is null && !Required)
            Skip = "chromium is not installed: scripts/setup.sh --browser installs it (RAWSELECT_REQUIRE_BROWSER=1 makes this a failure)";
    }
}
