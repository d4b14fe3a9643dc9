namespace RawSelect.Tests.Unit;

/// <summary>--backend: parsing, and which platform has which backend (Windows: select only).</summary>
public class BackendOptionTests
{
    [Theory]
    [InlineData(new string[0], SelectorBackend.Select)]
    [InlineData(new[] { "--backend", "select" }, SelectorBackend.Select)]
    [InlineData(new[] { "--backend", "poll" }, SelectorBackend.Poll)]
    [InlineData(new[] { "--backend=epoll" }, SelectorBackend.Epoll)]
    [InlineData(new[] { "--backend", "poll", "--backend", "epoll" }, SelectorBackend.Epoll)] // the last one wins, as for every option
    public void Backend_is_select_unless_asked(string[] args, SelectorBackend expected)
    {
        Options? o = Options.Parse(args, out string err);
        Assert.True(o is not null, err);
        Assert.Equal(expected, o!.Backend);
    }

    [Theory]
    [InlineData("kqueue")]
    [InlineData("Poll")]
    [InlineData(" epoll")]
    public void An_unknown_backend_is_one_line_naming_it_and_the_choices(string name)
    {
        Assert.Null(Options.Parse(["--backend", name], out string err));
        Assert.Equal($"invalid value '{name}' for --backend: expected select, poll or epoll", err);
    }

    [Fact]
    public void Windows_has_select_only_and_says_so_naming_the_backend()
    {
        Assert.Null(Platform.Unavailable(SelectorBackend.Select, windows: true));
        Assert.Equal("--backend poll is not available on Windows (only select)", Platform.Unavailable(SelectorBackend.Poll, windows: true));
        Assert.Equal("--backend epoll is not available on Windows (only select)", Platform.Unavailable(SelectorBackend.Epoll, windows: true));
        foreach (SelectorBackend b in Enum.GetValues<SelectorBackend>()) Assert.Null(Platform.Unavailable(b, windows: false));
    }

    [Theory]
    [InlineData(SelectorBackend.Select, "select", typeof(SelectSelector))]
    [InlineData(SelectorBackend.Poll, "poll", typeof(PollSelector))]
    [InlineData(SelectorBackend.Epoll, "epoll", typeof(EpollSelector))]
    public void Platform_builds_the_backend_asked_for(SelectorBackend backend, string name, Type type)
    {
        int capacity = (int)Math.Min(RawSelect.Interop.Unix.UnixSocketApi.Instance.DescriptorLimit(), int.MaxValue);
        ISelector s = Platform.CreateSelector(RawSelect.Interop.Unix.UnixSocketApi.Instance, capacity, new Log(LogLevel.Quiet, Stream.Null), backend);
        using (s)
        {
            Assert.IsType(type, s);
            Assert.Equal(name, s.Backend);
            Assert.Equal(name, Platform.Name(backend));
            // Every backend takes the capacity it is given: --fd-setsize, by default the descriptor limit.
            Assert.Equal(capacity, s.Capacity);
        }
    }
}
