using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// The thundering herd, made visible: a passed socket is watched by every loop, the kernel wakes
/// each one waiting on it, one accepts (or receives) and the others find EAGAIN. Each such lost
/// race is counted (herd_lost) and, when tracing, shown.
/// </summary>
public static class Herd
{
    public static void Lost(ServerContext cx, string role, SocketHandle socket, in NetAddress address)
    {
        cx.Counters.HerdLost++;
        if (!cx.Log.Trace) return;
        cx.Log.Begin("trace").Append("herd: lost the race for ").Append(role).Append(" fd ").Append(socket.ToString())
            .Append(' ').Append(address).Append(" (another loop took it: EAGAIN)").End();
    }
}
