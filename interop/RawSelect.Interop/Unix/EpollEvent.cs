using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// struct epoll_event (sys/epoll.h): { uint32_t events; epoll_data_t data; }, where data is a
/// union whose widest member is a uint64_t.
///
/// The ABI quirk: glibc declares it <c>__attribute__((packed))</c> on x86-64 only (__EPOLL_PACKED,
/// kept so the 64-bit kernel shares the i386 layout), so there it is 12 bytes with data at
/// offset 4. Every other 64-bit ABI (arm64 included) aligns data naturally: 16 bytes, data at 8.
/// An array of the wrong one makes the kernel's second event land in the middle of our first,
/// so it is declared once per architecture and chosen at run time by <see cref="Packed"/>.
/// The layout tests compare both with the headers (x86-64 natively, arm64 through the cross
/// compiler and qemu).
/// </summary>
public static class EpollEvent
{
    /// <summary>True where the kernel and glibc use the packed (12-byte) layout: x86-64.</summary>
    public static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The x86-64 layout: packed, 12 bytes, data at offset 4.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct X64
    {
        public uint events;
        public ulong data;
    }

    /// <summary>The natural layout of arm64 (and every other 64-bit Linux ABI): 16 bytes, data at offset 8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Arm64
    {
        public uint events;
        public ulong data;
    }
}
