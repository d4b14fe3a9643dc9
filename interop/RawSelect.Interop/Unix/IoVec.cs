namespace RawSelect.Interop.Unix;

/// <summary>struct iovec (sys/uio.h): a base pointer and a length, 16 bytes on LP64.</summary>
public unsafe struct IoVec
{
    public void* iov_base;
    public nuint iov_len;
}
