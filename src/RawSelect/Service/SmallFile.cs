using System;
using System.Text;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// A small text file read whole with open/read/close (/etc/passwd, /etc/group, /proc and
/// cgroup files): null if it cannot be read. Not System.IO.File: its stream stack is a large
/// part of a binary that reads two or three small files, and every type in the image costs
/// resident memory at start. Linux only; files past 16 MiB are refused.
/// </summary>
public static class SmallFile
{
    private const int MaxBytes = 16 << 20;

    public static unsafe string? Read(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = name) fd = Libc.open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return null;
        try
        {
            byte[] buf = new byte[4096];
            int have = 0;
            while (true)
            {
                if (have == buf.Length)
                {
                    if (buf.Length >= MaxBytes) return null;
                    Array.Resize(ref buf, buf.Length * 2);
                }
                nint n;
                fixed (byte* b = &buf[have]) n = Libc.read(fd, b, (nuint)(buf.Length - have));
                if (n == 0) break;
                if (n < 0)
                {
                    if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Interop.Errno.EINTR) continue;
                    return null;
                }
                have += (int)n;
            }
            return Encoding.UTF8.GetString(buf, 0, have);
        }
        finally
        {
            Libc.close(fd);
        }
    }
}
