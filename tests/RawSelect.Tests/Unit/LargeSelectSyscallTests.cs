using System.Runtime.InteropServices;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The ABI claim behind the select backend, on the real kernel: select(2) reads and writes
/// ceil(nfds / 64) words of each set, whatever glibc's FD_SETSIZE says, and not one word more.
/// A pipe is moved to descriptor 3000 (past 1024) in this test process.
/// </summary>
public partial class LargeSelectSyscallTests
{
    private const int HighFd = 3000;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe(int* fds);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint write_fd(int fd, byte* buf, nuint count);

    [Fact]
    public unsafe void Select_watches_a_descriptor_past_1024_and_writes_only_the_words_below_nfds()
    {
        Assert.True(UnixSocketApi.Instance.DescriptorLimit() > HighFd + 1,
            $"this test needs a descriptor limit above {HighFd + 1} (scripts/test.sh raises it)");
        int* fds = stackalloc int[2];
        Assert.Equal(0, pipe(fds));
        try
        {
            Assert.Equal(HighFd, dup2(fds[0], HighFd));
            var read = new LargeFdSet(1 << 16);
            var write = new LargeFdSet(1 << 16);
            read.Set(HighFd);
            int words = (HighFd + 1 + 63) / 64;           // 47
            read.EnsureWords(words + 8);
            write.EnsureWords(words + 8);
            read.Words[words] = 0x5555_5555_5555_5555;    // just past what nfds covers: must survive
            write.Words[words] = 0x5555_5555_5555_5555;

            // Nothing to read yet: a timeout, and the kernel cleared the bit.
            Assert.Equal(0, UnixSocketApi.Instance.Select(HighFd + 1, read, write, 0));
            Assert.False(read.IsSet(HighFd));

            byte b = 42;
            Assert.Equal(1, write_fd(fds[1], &b, 1));
            read.Set(HighFd);
            Assert.Equal(1, UnixSocketApi.Instance.Select(HighFd + 1, read, write, 1_000_000));
            Assert.True(read.IsSet(HighFd));
            Assert.Equal(1, read.Count - BitCount(read.Words[words]));
            Assert.Equal(0x5555_5555_5555_5555UL, read.Words[words]);
            Assert.Equal(0x5555_5555_5555_5555UL, write.Words[words]);
        }
        finally
        {
            close(HighFd);
            close(fds[0]);
            close(fds[1]);
        }
    }

    [Fact]
    public void Sets_shorter_than_nfds_are_refused_before_the_kernel_could_write_past_them()
    {
        var read = new LargeFdSet(1 << 16);   // 16 words allocated: nfds up to 1024
        var write = new LargeFdSet(1 << 16);
        Assert.Equal(-RawSelect.Interop.Errno.EINVAL, UnixSocketApi.Instance.Select(1025, read, write, 0));
        Assert.Equal(0, UnixSocketApi.Instance.Select(1024, read, write, 0));
    }

    private static int BitCount(ulong w) => System.Numerics.BitOperations.PopCount(w);
}
