namespace RawSelect.Interop.Unix;

/// <summary>
/// struct msghdr (bits/socket.h), 56 bytes on LP64 glibc. msg_namelen is a 32-bit socklen_t
/// followed by 4 bytes of padding; msg_iovlen and msg_controllen are size_t in glibc (the
/// kernel's own header says the same for 64-bit), unlike musl, which pads ints.
/// </summary>
public unsafe struct MsgHdr
{
    public void* msg_name;
    public uint msg_namelen;
    public IoVec* msg_iov;
    public nuint msg_iovlen;
    public void* msg_control;
    public nuint msg_controllen;
    public int msg_flags;
}

/// <summary>struct mmsghdr (sys/socket.h): a msghdr plus the byte count the call filled in; 64 bytes.</summary>
public struct MMsgHdr
{
    public MsgHdr msg_hdr;
    public uint msg_len;
}
