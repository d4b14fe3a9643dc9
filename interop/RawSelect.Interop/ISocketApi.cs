namespace RawSelect.Interop;

/// <summary>
/// The seam: every system call the server makes, as one interface with one implementation per
/// platform. Tests substitute it to inject the faults a real network produces only rarely
/// (EINTR, EAGAIN, partial sends, ECONNRESET, EMFILE...).
///
/// Conventions, the kernel's own: a call returns a count or 0 on success and <c>-errno</c> on
/// failure, never a bare -1 with the reason lost. Error numbers are the POSIX names in
/// <see cref="Errno"/>; a non-Unix implementation translates its own codes into them.
/// Buffers are (array, offset, count) so callers pass pooled arrays without allocating and
/// mocks can read and fill them. All sockets come back non-blocking and close-on-exec.
/// </summary>
public interface ISocketApi
{
    /// <summary>Opens a non-blocking TCP (stream) or UDP (datagram) socket.</summary>
    int OpenSocket(AddressFamilyKind family, bool stream, out SocketHandle socket);

    int SetOption(SocketHandle socket, SocketOption option, int value);

    int Bind(SocketHandle socket, in NetAddress address);

    int Listen(SocketHandle socket, int backlog);

    /// <summary>The address a socket is bound to (the real port after binding port 0).</summary>
    int GetSockName(SocketHandle socket, out NetAddress address);

    /// <summary>Accepts one pending connection, non-blocking, with its peer address.</summary>
    int Accept(SocketHandle listener, out SocketHandle connection, out NetAddress peer);

    /// <summary>Bytes received, 0 at end of stream, or -errno.</summary>
    nint Recv(SocketHandle socket, byte[] buffer, int offset, int count);

    /// <summary>Bytes the kernel took (possibly fewer than count), or -errno. Never raises SIGPIPE.</summary>
    nint Send(SocketHandle socket, byte[] buffer, int offset, int count);

    /// <summary>
    /// One datagram. Returns its real length, which exceeds count if it was truncated, or -errno.
    /// </summary>
    nint RecvFrom(SocketHandle socket, byte[] buffer, int offset, int count, out NetAddress from);

    nint SendTo(SocketHandle socket, byte[] buffer, int offset, int count, in NetAddress to);

    /// <summary>
    /// Receives up to <paramref name="count"/> datagrams into slots 0.. of the batch in one call
    /// (recvmmsg), filling Lengths and Peers. Returns how many, or -errno: -ENOSYS where the
    /// platform has no such call, and the caller falls back to <see cref="RecvFrom"/>.
    /// </summary>
    int RecvMany(SocketHandle socket, DatagramBatch batch, int count) => -Errno.ENOSYS;

    /// <summary>
    /// Sends slots [start, start + count) of the batch, each to its peer, in one call (sendmmsg).
    /// Returns how many left, counting from start (fewer than count when the next one failed or
    /// would block), or -errno when the first one could not be sent.
    /// </summary>
    int SendMany(SocketHandle socket, DatagramBatch batch, int start, int count) => -Errno.ENOSYS;

    int Shutdown(SocketHandle socket, ShutdownHow how);

    /// <summary>
    /// Bytes of a TCP socket's send queue the peer has not acknowledged yet (SIOCOUTQ), or
    /// -errno. Where the platform cannot say (Winsock), 0.
    /// </summary>
    int UnsentBytes(SocketHandle socket) => 0;

    int Close(SocketHandle socket);

    /// <summary>
    /// A descriptor pair that wakes the multiplexer from another thread: writing to
    /// <paramref name="writeEnd"/> makes <paramref name="readEnd"/> readable. A pipe on Unix;
    /// sockets on Windows, whose select takes nothing else.
    /// </summary>
    int OpenWakePair(out SocketHandle readEnd, out SocketHandle writeEnd);

    /// <summary>Makes the read end readable. Safe to call from any thread.</summary>
    int Wake(SocketHandle writeEnd);

    /// <summary>Empties the read end so it stops reporting readable.</summary>
    int DrainWake(SocketHandle readEnd);

    /// <summary>
    /// Takes a descriptor that serves only to be given back: when accept fails with EMFILE the
    /// server closes it, accepts the pending connection into the freed slot, closes that, and
    /// takes the spare again, so the listener stops reporting readable instead of spinning.
    /// </summary>
    int OpenSpare(out SocketHandle spare);

    /// <summary>The process's soft limit on open descriptors (RLIMIT_NOFILE), or -errno.</summary>
    long DescriptorLimit();

    /// <summary>
    /// getrlimit(RLIMIT_NOFILE): the soft and hard limits on open descriptors (RLIM_INFINITY as
    /// long.MaxValue), 0 or -errno; -ENOSYS where the platform has no such limit.
    /// </summary>
    int GetDescriptorLimits(out long soft, out long hard)
    {
        soft = hard = 0;
        return -Errno.ENOSYS;
    }

    /// <summary>setrlimit(RLIMIT_NOFILE) to these soft and hard limits: 0 or -errno (-ENOSYS: no such limit).</summary>
    int SetDescriptorLimits(long soft, long hard) => -Errno.ENOSYS;

    /// <summary>
    /// How many descriptors the process holds now (the runtime's own included), or -errno:
    /// -ENOSYS where handles are not small dense numbers and the question means nothing.
    /// </summary>
    long DescriptorsInUse() => -Errno.ENOSYS;

    // The process, not the network: socket activation (sd_listen_fds(3)) and the privilege drop.
    // A platform without these keeps the defaults (-ENOSYS, nothing found).

    /// <summary>
    /// unshare(CLONE_FILES): the calling thread takes a descriptor table of its own (a copy of
    /// the shared one), so the kernel sees a table used by one thread and skips the reference it
    /// otherwise takes on every descriptor select and poll walk. 0 or -errno (-EPERM under a
    /// seccomp profile that forbids it; -ENOSYS where there is no such call or no such table).
    /// </summary>
    int UnshareDescriptorTable() => -Errno.ENOSYS;

    /// <summary>
    /// Attaches to the SO_REUSEPORT group <paramref name="socket"/> belongs to a program that
    /// sends each connection or datagram flow to member (source port mod
    /// <paramref name="members"/>): the first members, ours. A socket of the same user that
    /// joins the group later gets nothing. 0 or -errno.
    /// </summary>
    int SteerReusePortGroup(SocketHandle socket, int members) => -Errno.ENOSYS;

    /// <summary>How many CPUs this thread may run on (sched_getaffinity), or -errno.</summary>
    int AvailableCpus() => -Errno.ENOSYS;

    /// <summary>getpid(); -ENOSYS where there is no such thing.</summary>
    int ProcessId() => -Errno.ENOSYS;

    /// <summary>A variable of the process's real environment, or null when unset.</summary>
    string? GetEnvironment(string name) => null;

    /// <summary>
    /// Removes a variable from the process's real environment (what an exec'd child inherits) and
    /// from the runtime's copy of it (what a child started by the runtime inherits).
    /// </summary>
    int UnsetEnvironment(string name) => -Errno.ENOSYS;

    /// <summary>
    /// What a descriptor we were handed is: -EBADF when it is not open, -ENOTSOCK when it is not a
    /// socket, else 0 and its family, type, protocol and whether it is listening.
    /// </summary>
    int QuerySocket(SocketHandle socket, out SocketFacts facts)
    {
        facts = default;
        return -Errno.ENOSYS;
    }

    /// <summary>
    /// FD_CLOEXEC on an inherited descriptor (-EBADF if it is not open). Per descriptor: it
    /// changes nothing for any other process holding the same file.
    /// </summary>
    int SetCloseOnExec(SocketHandle socket) => -Errno.ENOSYS;

    /// <summary>
    /// O_NONBLOCK on an inherited socket, like the ones we open. This flag belongs to the open
    /// file description, shared with whoever else holds it: only for sockets we will serve.
    /// </summary>
    int SetNonBlocking(SocketHandle socket) => -Errno.ENOSYS;

    /// <summary>What a descriptor that is not a socket is, in the platform's words ("pipe:[123]", a path), or null.</summary>
    string? DescribeDescriptor(SocketHandle socket) => null;

    /// <summary>The real and effective user and group ids.</summary>
    ProcessIdentity GetIdentity() => default;

    /// <summary>setgroups(2): the supplementary groups, replacing all of them.</summary>
    int SetGroups(uint[] groups) => -Errno.ENOSYS;

    /// <summary>setgid(2): as root, real, effective and saved group id.</summary>
    int SetGid(uint gid) => -Errno.ENOSYS;

    /// <summary>setuid(2): as root, real, effective and saved user id.</summary>
    int SetUid(uint uid) => -Errno.ENOSYS;

    /// <summary>The platform's text for an error number (strerror).</summary>
    string ErrorText(int errno);
}
