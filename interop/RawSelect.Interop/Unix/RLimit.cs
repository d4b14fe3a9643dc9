namespace RawSelect.Interop.Unix;

/// <summary>struct rlimit (sys/resource.h): two rlim_t (unsigned long on LP64).</summary>
public struct RLimit
{
    public ulong rlim_cur;
    public ulong rlim_max;

    public const ulong RLIM_INFINITY = ulong.MaxValue;
}
