using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>struct sock_filter (linux/filter.h): one classic BPF instruction.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SockFilter
{
    public ushort code;
    public byte jt;
    public byte jf;
    public uint k;

    public SockFilter(int code, int k, byte jt = 0, byte jf = 0)
    {
        this.code = (ushort)code;
        this.jt = jt;
        this.jf = jf;
        this.k = unchecked((uint)k);
    }
}

/// <summary>struct sock_fprog (linux/filter.h): a classic BPF program.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SockFprog
{
    public ushort len;
    public SockFilter* filter;
}
