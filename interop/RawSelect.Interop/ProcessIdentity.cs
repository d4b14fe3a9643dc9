namespace RawSelect.Interop;

/// <summary>The process's real and effective user and group ids.</summary>
public readonly record struct ProcessIdentity(uint Uid, uint EUid, uint Gid, uint EGid)
{
    public override string ToString() => $"uid={Uid} euid={EUid} gid={Gid} egid={EGid}";
}
