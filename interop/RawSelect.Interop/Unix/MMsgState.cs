using System;
using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// The native side of a DatagramBatch: one mmsghdr, iovec and sockaddr_storage per slot, in
/// native memory, with each iovec pointing at its slot of the pinned buffer. Built once per
/// batch; a call only rewrites lengths.
/// </summary>
internal sealed unsafe class MMsgState : IDisposable
{
    public MMsgHdr* Msgs;
    public IoVec* Iov;
    public SockAddrStorage* Addrs;
    private readonly int _capacity;

    public MMsgState(DatagramBatch batch)
    {
        _capacity = batch.Capacity;
        Msgs = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_capacity * sizeof(MMsgHdr)));
        Iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(_capacity * sizeof(IoVec)));
        Addrs = (SockAddrStorage*)NativeMemory.AllocZeroed((nuint)(_capacity * sizeof(SockAddrStorage)));
        byte* buffer = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(batch.Buffer, 0);
        for (int i = 0; i < _capacity; i++)
        {
            Iov[i].iov_base = buffer + DatagramBatch.Offset(i);
            Iov[i].iov_len = DatagramBatch.SlotSize;
            Msgs[i].msg_hdr.msg_iov = &Iov[i];
            Msgs[i].msg_hdr.msg_iovlen = 1;
            Msgs[i].msg_hdr.msg_name = &Addrs[i];
        }
    }

    public static MMsgState For(DatagramBatch batch)
    {
        if (batch.NativeState is MMsgState s) return s;
        s = new MMsgState(batch);
        batch.NativeState = s;
        return s;
    }

    public void Dispose()
    {
        NativeMemory.Free(Msgs);
        NativeMemory.Free(Iov);
        NativeMemory.Free(Addrs);
        Msgs = null;
        Iov = null;
        Addrs = null;
    }
}
