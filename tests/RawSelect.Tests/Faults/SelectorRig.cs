using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Faults;

/// <summary>What a test says the kernel finds on a descriptor at the next wait.</summary>
public readonly record struct Ready(int Fd, bool Read = false, bool Write = false, bool Error = false, bool Hangup = false);

/// <summary>
/// A real selector backend (select, poll or epoll) on a substituted system call, so the same
/// fault test runs against each. The substitute plays the kernel: it records what it was asked to
/// watch, answers with the readiness or the errno the test queued (a timeout when none is
/// queued), and reports it the way that call reports it (select: an error in both sets, a hangup
/// as readable; poll and epoll: POLLERR/POLLHUP whether asked for or not).
/// </summary>
public abstract class SelectorRig
{
    /// <summary>Registrable descriptors for every rig: select's FD_SETSIZE, so one test fits all.</summary>
    public const int Capacity = 1024;

    public static IEnumerable<object[]> Backends() => [["select"], ["poll"], ["epoll"]];

    public static SelectorRig For(string backend) => backend switch
    {
        "select" => new SelectRig(),
        "poll" => new PollRig(),
        "epoll" => new EpollRig(),
        _ => throw new ArgumentException(backend),
    };

    private readonly Queue<object> _answers = new();

    public abstract ISelector Selector { get; }

    /// <summary>What the kernel was asked to watch at the last wait: descriptor -> interest.</summary>
    public Dictionary<int, Interest> Watched { get; } = new();

    /// <summary>The last wait's timeout in microseconds (-1: none), as precise as the call takes it.</summary>
    public long LastTimeoutMicros { get; protected set; }

    public int Waits { get; protected set; }

    public void Next(params Ready[] ready) => _answers.Enqueue(ready);

    public void NextFails(int errno) => _answers.Enqueue(errno);

    /// <summary>The next queued answer: Ready[] or an errno; an empty Ready[] (timeout) when none is left.</summary>
    protected object Answer() => _answers.Count > 0 ? _answers.Dequeue() : Array.Empty<Ready>();

    private sealed class SelectRig : SelectorRig
    {
        private readonly ISelectApi _sys = Substitute.For<ISelectApi>();
        private readonly SelectSelector _selector;

        public SelectRig()
        {
            _selector = new SelectSelector(_sys);
            _sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
            {
                Waits++;
                int nfds = ci.ArgAt<int>(0);
                LargeFdSet r = ci.ArgAt<LargeFdSet>(1), w = ci.ArgAt<LargeFdSet>(2);
                LastTimeoutMicros = ci.ArgAt<long>(3) < 0 ? -1 : ci.ArgAt<long>(3);
                Watched.Clear();
                for (int fd = 0; fd < nfds; fd++)
                {
                    Interest i = (r.IsSet(fd) ? Interest.Read : 0) | (w.IsSet(fd) ? Interest.Write : 0);
                    if (i != Interest.None) Watched[fd] = i;
                }
                object a = Answer();
                if (a is int errno) return -errno;
                var rr = new List<int>();
                var ww = new List<int>();
                foreach (Ready x in (Ready[])a)
                {
                    // fs/select.c: POLLIN|POLLHUP|POLLERR count as readable, POLLOUT|POLLERR as writable.
                    if (r.IsSet(x.Fd) && (x.Read || x.Hangup || x.Error)) rr.Add(x.Fd);
                    if (w.IsSet(x.Fd) && (x.Write || x.Error)) ww.Add(x.Fd);
                }
                // Like the kernel: the sets given are rewritten in place with the ready descriptors.
                r.Zero();
                w.Zero();
                foreach (int fd in rr) r.Set(fd);
                foreach (int fd in ww) w.Set(fd);
                int n = rr.Count + ww.Count;
                return n;
            });
        }

        public override ISelector Selector => _selector;
    }

    private sealed class PollRig : SelectorRig
    {
        private readonly IPollApi _sys = Substitute.For<IPollApi>();
        private readonly PollSelector _selector;

        public PollRig()
        {
            _selector = new PollSelector(_sys, Capacity);
            _sys.Poll(Arg.Any<PollFd[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
            {
                Waits++;
                PollFd[] fds = ci.ArgAt<PollFd[]>(0);
                int nfds = ci.ArgAt<int>(1);
                int ms = ci.ArgAt<int>(2);
                LastTimeoutMicros = ms < 0 ? -1 : ms * 1000L;
                Watched.Clear();
                for (int i = 0; i < nfds; i++)
                {
                    Assert.False(Watched.ContainsKey(fds[i].fd), $"descriptor {fds[i].fd} has two pollfd entries");
                    Watched[fds[i].fd] = ((fds[i].events & Libc.POLLIN) != 0 ? Interest.Read : 0) | ((fds[i].events & Libc.POLLOUT) != 0 ? Interest.Write : 0);
                    fds[i].revents = 0; // the kernel writes every entry's revents
                }
                object a = Answer();
                if (a is int errno) return -errno;
                int n = 0;
                for (int i = 0; i < nfds; i++)
                {
                    foreach (Ready x in (Ready[])a)
                    {
                        if (x.Fd != fds[i].fd) continue;
                        int rev = (x.Read ? fds[i].events & Libc.POLLIN : 0) | (x.Write ? fds[i].events & Libc.POLLOUT : 0)
                                  | (x.Error ? Libc.POLLERR : 0) | (x.Hangup ? Libc.POLLHUP : 0);
                        fds[i].revents = (short)rev;
                    }
                    if (fds[i].revents != 0) n++;
                }
                return n;
            });
        }

        public override ISelector Selector => _selector;
    }

    private sealed class EpollRig : SelectorRig
    {
        private const int EpollFd = 42;
        private readonly IEpollApi _sys = Substitute.For<IEpollApi>();
        private readonly Dictionary<int, uint> _interestList = new();
        private readonly EpollSelector _selector;

        public EpollRig()
        {
            _sys.Create().Returns(EpollFd);
            _sys.Control(EpollFd, Arg.Any<int>(), Arg.Any<int>(), Arg.Any<uint>()).Returns(ci =>
            {
                int op = ci.ArgAt<int>(1), fd = ci.ArgAt<int>(2);
                uint events = ci.ArgAt<uint>(3);
                bool there = _interestList.ContainsKey(fd);
                switch (op)
                {
                    case Libc.EPOLL_CTL_ADD when there: return -Errno.EEXIST;
                    case Libc.EPOLL_CTL_ADD: _interestList[fd] = events; return 0;
                    case Libc.EPOLL_CTL_MOD when !there: return -Errno.ENOENT;
                    case Libc.EPOLL_CTL_MOD: _interestList[fd] = events; return 0;
                    case Libc.EPOLL_CTL_DEL when !there: return -Errno.ENOENT;
                    case Libc.EPOLL_CTL_DEL: _interestList.Remove(fd); return 0;
                    default: return -Errno.EINVAL;
                }
            });
            _sys.Wait(EpollFd, Arg.Any<EpollReady[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
            {
                Waits++;
                EpollReady[] ready = ci.ArgAt<EpollReady[]>(1);
                int max = ci.ArgAt<int>(2), ms = ci.ArgAt<int>(3);
                Assert.InRange(max, 1, ready.Length);
                LastTimeoutMicros = ms < 0 ? -1 : ms * 1000L;
                Watched.Clear();
                foreach ((int fd, uint ev) in _interestList)
                    Watched[fd] = ((ev & Libc.EPOLLIN) != 0 ? Interest.Read : 0) | ((ev & Libc.EPOLLOUT) != 0 ? Interest.Write : 0);
                object a = Answer();
                if (a is int errno) return -errno;
                int n = 0;
                foreach (Ready x in (Ready[])a)
                {
                    if (!_interestList.TryGetValue(x.Fd, out uint want) || n == max) continue;
                    uint ev = (x.Read ? want & Libc.EPOLLIN : 0) | (x.Write ? want & Libc.EPOLLOUT : 0)
                              | (x.Error ? (uint)Libc.EPOLLERR : 0) | (x.Hangup ? (uint)Libc.EPOLLHUP : 0);
                    if (ev != 0) ready[n++] = new EpollReady { Fd = x.Fd, Events = ev };
                }
                return n;
            });
            _selector = new EpollSelector(_sys, Capacity);
        }

        public override ISelector Selector => _selector;
    }
}
