namespace RawSelect.Interop.Unix;

/// <summary>
/// struct sockaddr_storage (bits/socket.h): 128 bytes, aligned for the largest sockaddr. glibc
/// spells it sa_family_t ss_family; char __ss_padding[118]; unsigned long __ss_align;
/// </summary>
public unsafe struct SockAddrStorage
{
    public ushort ss_family;
    public fixed byte __ss_padding[118];
    public ulong __ss_align;
}
