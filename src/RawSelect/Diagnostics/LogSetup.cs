using System;
using System.IO;
using System.Text;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>Where the log goes and how its lines start, decided once at start.</summary>
public static class LogSetup
{
    /// <summary>
    /// stderr's prefix: the journal's "&lt;N&gt;" when stderr is the journal stream systemd set
    /// up, a timestamp elsewhere; --log-timestamps on|off (<paramref name="timestamps"/>)
    /// overrides the timestamp both ways.
    /// </summary>
    public static LinePrefix StderrPrefix(bool? timestamps)
    {
        bool journal = StderrIsJournal();
        bool stamp = timestamps ?? !journal;
        return (journal, stamp) switch
        {
            (true, true) => LinePrefix.JournalAndTimestamp,
            (true, false) => LinePrefix.Journal,
            (false, true) => LinePrefix.Timestamp,
            _ => LinePrefix.None,
        };
    }

    /// <summary>
    /// systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is the journal. The
    /// variable is inherited by children that may have redirected stderr elsewhere, so it only
    /// counts while fd 2 is still that very stream (systemd.exec(5)).
    /// </summary>
    public static unsafe bool StderrIsJournal()
    {
        if (OperatingSystem.IsWindows()) return false;
        string? v = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(v)) return false;
        int colon = v.IndexOf(':');
        if (colon <= 0 || !ulong.TryParse(v.AsSpan(0, colon), out ulong dev) || !ulong.TryParse(v.AsSpan(colon + 1), out ulong ino))
            return false;
        Stat st;
        if (Libc.fstat(2, &st) != 0) return false;
        return st.st_dev == dev && st.st_ino == ino;
    }

    /// <summary>
    /// Opens --trace-file for appending, created 0600 (a trace names every peer). Returns null and
    /// the reason on failure.
    /// </summary>
    public static unsafe Stream? OpenTraceFile(string path, out string error)
    {
        error = "";
        if (OperatingSystem.IsWindows())
        {
            try
            {
                return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e.Message;
                return null;
            }
        }
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = name)
            fd = Libc.open(p, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_CLOEXEC | Libc.O_NOCTTY, 0x180 /* 0600 */);
        if (fd < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            error = Errno.Describe(errno, UnixSocketApi.Instance.ErrorText(errno));
            return null;
        }
        return new FdWriteStream(fd);
    }
}
