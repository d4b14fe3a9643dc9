namespace RawSelect.Interop.Unix;

/// <summary>
/// struct stat (sys/stat.h), as far as we read it. The two architectures lay out the rest
/// differently (x86-64: st_nlink before st_mode, 144 bytes; arm64's generic layout: st_mode
/// first, 128 bytes), but both begin with st_dev and st_ino as 64-bit values, which is all the
/// journal check needs. The tail is room enough for either; the layout test checks both facts.
/// </summary>
public unsafe struct Stat
{
    public ulong st_dev;
    public ulong st_ino;
    private fixed byte _rest[240];
}
