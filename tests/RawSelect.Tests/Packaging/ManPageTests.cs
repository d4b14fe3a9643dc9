using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Packaging;

/// <summary>
/// man/rawselect.8 against the real binary: every option --help lists has its entry in the
/// page's OPTIONS, the page names no option the binary does not have (anywhere in its text), it
/// carries the project's version, and mandoc -T lint finds nothing to say.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ManPageTests
{
    private readonly ITestOutputHelper _out;

    public ManPageTests(ITestOutputHelper output) => _out = output;

    /// <summary>The options --help lists: each line of the usage whose first word is an option, and the options beside it ("--no-tcp, --no-udp").</summary>
    internal static SortedSet<string> HelpOptions(string help) =>
        new(help.Split('\n')
            .Select(l => Regex.Match(l, @"^\s+(--[a-z][a-z0-9-]*(?:,\s*--[a-z][a-z0-9-]*)*)"))
            .Where(m => m.Success)
            .SelectMany(m => Regex.Matches(m.Groups[1].Value, @"--[a-z][a-z0-9-]*").Select(x => x.Value)),
            StringComparer.Ordinal);

    /// <summary>The roff source with its escaped hyphens made plain, so options read as typed.</summary>
    private static string PlainSource() => File.ReadAllText(PackagingTools.ManPage).Replace(@"\-", "-");

    /// <summary>The tags of the OPTIONS section: the line after each .TP, its first option.</summary>
    internal static SortedSet<string> PageOptionEntries(string source)
    {
        string[] lines = source.Split('\n');
        int start = Array.FindIndex(lines, l => l.Trim() == ".SH OPTIONS");
        Assert.True(start >= 0, "the page has no .SH OPTIONS section");
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith(".SH ", StringComparison.Ordinal));
        var entries = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = start + 1; i < (end < 0 ? lines.Length : end) - 1; i++)
        {
            if (lines[i].Trim() != ".TP") continue;
            Match m = Regex.Match(lines[i + 1], @"--[a-z][a-z0-9-]*");
            Assert.True(m.Success, $"an OPTIONS entry without an option: {lines[i + 1]}");
            entries.Add(m.Value);
        }
        return entries;
    }

    /// <summary>
    /// The page without the example lines that run other programs (systemctl enable --now ...):
    /// their options are not ours to check. Example lines that run rawselect stay.
    /// </summary>
    internal static string OwnText(string source)
    {
        var kept = new List<string>();
        bool example = false;
        foreach (string line in source.Split('\n'))
        {
            if (line.StartsWith(".EX", StringComparison.Ordinal)) example = true;
            else if (line.StartsWith(".EE", StringComparison.Ordinal)) example = false;
            else if (!example || line.StartsWith("rawselect ", StringComparison.Ordinal)) kept.Add(line);
        }
        return string.Join('\n', kept);
    }

    [Fact]
    public void Every_option_in_help_has_its_entry_in_the_page_and_the_page_names_no_other()
    {
        (int code, string help, string err) = ServerProcess.RunToExit("--help");
        Assert.True(code == 0, $"--help exited {code}: {err}");
        SortedSet<string> fromHelp = HelpOptions(help);
        Assert.True(fromHelp.Count >= 20, $"--help parsed into too few options to be believed: {string.Join(' ', fromHelp)}");
        string source = PlainSource();
        SortedSet<string> entries = PageOptionEntries(source);
        SortedSet<string> named = new(Regex.Matches(OwnText(source), @"(?<![\w-])--[a-z][a-z0-9-]*").Select(m => m.Value), StringComparer.Ordinal);
        _out.WriteLine($"--help: {string.Join(' ', fromHelp)}");
        _out.WriteLine($"page OPTIONS: {string.Join(' ', entries)}");

        string[] undocumented = fromHelp.Except(entries).ToArray();
        string[] unknownEntries = entries.Except(fromHelp).ToArray();
        string[] unknownNamed = named.Except(fromHelp).ToArray();
        Assert.True(undocumented.Length == 0, $"in --help but without an entry in OPTIONS of man/rawselect.8: {string.Join(' ', undocumented)}");
        Assert.True(unknownEntries.Length == 0, $"OPTIONS of man/rawselect.8 documents what --help does not list: {string.Join(' ', unknownEntries)}");
        Assert.True(unknownNamed.Length == 0, $"man/rawselect.8 names options the binary does not have: {string.Join(' ', unknownNamed)}");
    }

    [Fact]
    public void The_parsers_see_a_missing_and_an_extra_option()
    {
        // The comparison above could pass by reading nothing: show that each parser finds what it must.
        const string help = "Options:\n  --alpha N   one\n  --beta, --gamma  two\n  prose mentioning --delta\n";
        Assert.Equal(new[] { "--alpha", "--beta", "--gamma" }, HelpOptions(help));
        const string page = ".SH OPTIONS\n.TP\n.BI --alpha \" N\"\nOne.\n.TP\n.B --beta\nTwo.\n.SH EXIT STATUS\n.TP\n.B --not-an-option\n";
        Assert.Equal(new[] { "--alpha", "--beta" }, PageOptionEntries(page));
        const string examples = "Text --kept.\n.EX\nsystemctl enable --now x\nrawselect --also-kept\n.EE\n";
        Assert.Equal("Text --kept.\nrawselect --also-kept\n", OwnText(examples));
    }

    [Fact]
    public void Page_header_carries_the_project_version()
    {
        string th = File.ReadLines(PackagingTools.ManPage).First(l => l.StartsWith(".TH ", StringComparison.Ordinal));
        _out.WriteLine(th);
        Assert.Matches(new Regex(@"^\.TH RAWSELECT 8 \d{4}-\d\d-\d\d ""rawselect " + Regex.Escape(PackagingTools.ProjectVersion) + @""" "), th);
    }

    [ToolFact("mandoc")]
    public void Mandoc_lint_finds_nothing()
    {
        (int code, string output) = ReleaseArtifacts.Run("mandoc", "-T", "lint", "-W", "all", PackagingTools.ManPage);
        _out.WriteLine($"mandoc -T lint -W all man/rawselect.8: exit {code}, {(output.Length == 0 ? "no output" : output)}");
        Assert.True(code == 0 && output.Length == 0, $"mandoc -T lint: exit {code}\n{output}");
    }
}
