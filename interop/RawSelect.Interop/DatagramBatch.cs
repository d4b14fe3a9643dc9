using System;

namespace RawSelect.Interop;

/// <summary>
/// Slots for several datagrams, so one recvmmsg/sendmmsg moves a whole batch across the kernel
/// boundary. Each slot holds a whole datagram (64 KiB); the memory is pinned once, at creation,
/// so native calls can point into it without pinning per call. Pages of slots that only ever
/// see small datagrams are never touched, so they cost address space, not resident memory.
/// </summary>
public sealed class DatagramBatch : IDisposable
{
    public const int SlotSize = 65536;

    public DatagramBatch(int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
        Buffer = GC.AllocateUninitializedArray<byte>(capacity * SlotSize, pinned: true);
        Lengths = new int[capacity];
        Peers = new NetAddress[capacity];
    }

    public int Capacity { get; }

    /// <summary>Slot i is Buffer[i * SlotSize .. (i + 1) * SlotSize).</summary>
    public byte[] Buffer { get; }

    /// <summary>Each received datagram's real length; larger than SlotSize means it was truncated.</summary>
    public int[] Lengths { get; }

    public NetAddress[] Peers { get; }

    /// <summary>Native bookkeeping (mmsghdr arrays) owned by the ISocketApi that fills this batch.</summary>
    public IDisposable? NativeState { get; set; }

    public static int Offset(int slot) => slot * SlotSize;

    public void Dispose()
    {
        NativeState?.Dispose();
        NativeState = null;
    }
}
