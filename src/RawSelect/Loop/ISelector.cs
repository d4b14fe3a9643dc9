using System;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// The multiplexer as the loop sees it: interest in, ready events out. The loop does not know
/// whether select, poll or epoll sits behind it. Limits are checked here, at registration,
/// never scattered through the loop.
/// </summary>
public interface ISelector : IDisposable
{
    /// <summary>Whether this socket can be registered at all (select: fd below its set size, --fd-setsize).</summary>
    bool CanRegister(SocketHandle socket);

    /// <summary>How many sockets can be registered at once.</summary>
    int Capacity { get; }

    int Count { get; }

    /// <summary>Which multiplexer this is, as --backend and the logs name it: select, poll or epoll.</summary>
    string Backend => "select";

    /// <summary>The system call <see cref="Wait"/> makes, for the message when it fails.</summary>
    string WaitCall => Backend;

    /// <summary>
    /// The most events one <see cref="Wait"/> can report; the loop's fired list is kept at least
    /// this long. It may grow as descriptors are added (poll: one per watched descriptor); epoll
    /// has a fixed event array, and what does not fit waits for the next call.
    /// </summary>
    int MaxEvents => Capacity;

    /// <summary>Registers a socket; false (and nothing changed) if it is over the limit.</summary>
    bool Add(SocketHandle socket, Interest interest, IEventHandler handler);

    void Modify(SocketHandle socket, Interest interest);

    void Remove(SocketHandle socket);

    /// <summary>
    /// Waits up to timeoutMicros (negative: no limit) and fills <paramref name="fired"/>.
    /// Returns the number of events, 0 on timeout, or -errno (EINTR included: the loop decides).
    /// </summary>
    int Wait(long timeoutMicros, Span<ReadyEvent> fired);
}
