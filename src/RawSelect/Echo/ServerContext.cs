using System;
using System.Buffers;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>What every handler shares: the seam, the loop's selector, settings, counters, the log.</summary>
public sealed class ServerContext
{
    public ServerContext(ISocketApi api, ISelector selector, Log log, Counters counters, int bufferSize)
    {
        Api = api;
        Selector = selector;
        Log = log;
        Counters = counters;
        BufferSize = bufferSize;
    }

    private byte[]? _scratch;

    public ISocketApi Api { get; }
    public ISelector Selector { get; }
    public Log Log { get; }
    public Counters Counters { get; }
    public int BufferSize { get; }

    /// <summary>
    /// One receive buffer for every connection: data is received here and usually leaves in the
    /// same wake-up, so an idle or keeping-up connection holds no buffer of its own. Only what the
    /// kernel would not take is copied into a rented per-connection buffer. Taken on first use and
    /// left unzeroed, so a server nobody talks to does not hold it resident.
    /// </summary>
    public byte[] Scratch => _scratch ??= GC.AllocateUninitializedArray<byte>(BufferSize);

    public ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Shared;

    /// <summary>Open connections against --max-clients: this server's own, or shared by every loop.</summary>
    public ClientSlots Slots { get; set; } = new();

    public int MaxClients
    {
        get => Slots.Max;
        set => Slots.Max = value;
    }

    /// <summary>0: no idle timeout.</summary>
    public long IdleTimeoutMs { get; set; }

    /// <summary>Every open connection, least recently active first.</summary>
    public ConnectionList Connections { get; } = new();

    /// <summary>Recycled connection objects, so accepting allocates nothing in the steady state.</summary>
    public ConnectionPool ConnectionPool { get; } = new();

    /// <summary>The loop's clock, shared with the EventLoop that advances it.</summary>
    public LoopClock Clock { get; } = new();

    /// <summary>Loop time of the current iteration (read after the wait), in milliseconds.</summary>
    public long Now
    {
        get => Clock.Now;
        set => Clock.Now = value;
    }

    public bool ShuttingDown { get; set; }
}
