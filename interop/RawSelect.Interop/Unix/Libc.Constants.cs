namespace RawSelect.Interop.Unix;

// Values from the Linux x86-64 / arm64 headers (sys/socket.h, netinet/in.h, netinet/tcp.h,
// fcntl.h, sys/resource.h, poll.h, sys/epoll.h). The layout test compiles a C program that prints each of these
// from the real headers and compares.
public static partial class Libc
{
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_SEQPACKET = 5;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int SO_TYPE = 3;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_ACCEPTCONN = 30;
    public const int SO_PROTOCOL = 38;
    public const int SO_DOMAIN = 39;
    public const int SO_OOBINLINE = 10;
    public const int SO_REUSEPORT = 15;
    public const int SO_ATTACH_REUSEPORT_CBPF = 51;

    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;
    public const int IPPROTO_IPV6 = 41;
    public const int IPPROTO_UDPLITE = 136;
    public const int IPPROTO_MPTCP = 262;
    public const int TCP_NODELAY = 1;
    public const int IPV6_V6ONLY = 26;

    public const int MSG_OOB = 0x1;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_NOCTTY = 0x100;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    /// <summary>
    /// ioctl: bytes in a TCP socket's send queue not yet acknowledged by the peer (linux/sockios.h:
    /// SIOCOUTQ is TIOCOUTQ, 0x5411 in asm-generic, the same on x86-64 and arm64).
    /// </summary>
    public const int SIOCOUTQ = 0x5411;
    public const int F_SETFL = 4;
    public const int FD_CLOEXEC = 1;

    public const int RLIMIT_NOFILE = 7;

    // linux/filter.h: classic BPF, as SO_ATTACH_REUSEPORT_CBPF takes it.
    public const int BPF_LD = 0x00;
    public const int BPF_LDX = 0x01;
    public const int BPF_ALU = 0x04;
    public const int BPF_JMP = 0x05;
    public const int BPF_RET = 0x06;
    public const int BPF_H = 0x08;
    public const int BPF_B = 0x10;
    public const int BPF_ABS = 0x20;
    public const int BPF_IND = 0x40;
    public const int BPF_MSH = 0xa0;
    public const int BPF_K = 0x00;
    public const int BPF_A = 0x10;
    public const int BPF_MUL = 0x20;
    public const int BPF_RSH = 0x70;
    public const int BPF_MOD = 0x90;
    public const int BPF_JA = 0x00;
    public const int BPF_JEQ = 0x10;
    /// <summary>Loads at this offset and above read the packet from its network (IP) header.</summary>
    public const int SKF_NET_OFF = -0x100000;

    // sched.h: unshare(2)'s flag for a descriptor table of the caller's own.
    public const int CLONE_FILES = 0x400;

    public const int FD_SETSIZE = 1024;

    // poll.h: events asked for in pollfd.events, reported in revents. POLLERR, POLLHUP and
    // POLLNVAL are reported whether asked for or not.
    public const int POLLIN = 0x001;
    public const int POLLPRI = 0x002;
    public const int POLLOUT = 0x004;
    public const int POLLERR = 0x008;
    public const int POLLHUP = 0x010;
    public const int POLLNVAL = 0x020;

    // sys/epoll.h: the same bit values as poll's, by design; EPOLLERR and EPOLLHUP are
    // reported whether asked for or not. No EPOLLET anywhere: level-triggered, as select is.
    public const int EPOLLIN = 0x001;
    public const int EPOLLPRI = 0x002;
    public const int EPOLLOUT = 0x004;
    public const int EPOLLERR = 0x008;
    public const int EPOLLHUP = 0x010;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const int EPOLL_CLOEXEC = 0x80000;
}
