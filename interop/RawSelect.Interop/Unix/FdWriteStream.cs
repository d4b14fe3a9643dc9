using System;
using System.IO;
using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// stdout/stderr as plain write(2) on descriptors 1 and 2. System.Console would do the same
/// in the end, but first sets itself up: it dup()s descriptors, opens a pipe, installs terminal
/// signal handling and brings encoders along, which costs start-up time, resident memory and
/// binary size, and can fail when descriptors run out. A log line needs none of it.
/// </summary>
public sealed unsafe class FdWriteStream : Stream
{
    private readonly int _fd;

    public FdWriteStream(int fd) => _fd = fd;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = Libc.write(_fd, p + done, (nuint)(buffer.Length - done));
                if (n > 0) { done += (int)n; continue; }
                int e = Marshal.GetLastPInvokeError();
                if (n < 0 && e == Errno.EINTR) continue;
                // EAGAIN on a non-blocking terminal, EPIPE on a closed reader, EBADF when closed:
                // output is best effort and must never stop the server.
                throw new IOException($"write to descriptor {_fd} failed", e);
            }
        }
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
