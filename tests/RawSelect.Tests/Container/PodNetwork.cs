using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RawSelect.Tests.Container;

/// <summary>
/// Sockets made inside a container's network namespace, so a test reaches the server on the
/// container's own loopback (127.0.0.1:7, [::1]:7) as `kubectl port-forward` does, without
/// publishing a port or touching any other network. A socket belongs to the namespace it was
/// created in for its whole life: one short-lived thread joins the namespace (setns(2) changes
/// only the calling thread), creates the sockets and leaves; they are then used from anywhere.
/// </summary>
public static partial class PodNetwork
{
    private const int CLONE_NEWNET = 0x40000000;

    /// <summary>Runs <paramref name="create"/> inside the network namespace of process <paramref name="pid"/>: the sockets it makes live there.</summary>
    public static Socket[] CreateIn(int pid, Func<Socket[]> create) => RunIn(pid, create);

    /// <summary>Runs <paramref name="work"/> on a thread inside the network namespace of process <paramref name="pid"/> (/proc/sys/net reads that namespace's values there).</summary>
    public static T RunIn<T>(int pid, Func<T> work)
    {
        T? result = default;
        Exception? failed = null;
        var t = new Thread(() =>
        {
            try
            {
                using SafeFileHandle mine = File.OpenHandle($"/proc/thread-self/ns/net");
                using SafeFileHandle theirs = File.OpenHandle($"/proc/{pid}/ns/net");
                Check(setns((int)theirs.DangerousGetHandle(), CLONE_NEWNET), $"setns into /proc/{pid}/ns/net");
                try { result = work(); }
                finally { Check(setns((int)mine.DangerousGetHandle(), CLONE_NEWNET), "setns back to the test's own namespace"); }
            }
            catch (Exception e) { failed = e; }
        });
        t.Start();
        t.Join();
        if (failed is not null) throw failed;
        return result!;
    }

    public static Socket Tcp(IPAddress family) => new(family.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public static Socket Udp(IPAddress family) => new(family.AddressFamily, SocketType.Dgram, ProtocolType.Udp);

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"{what} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
