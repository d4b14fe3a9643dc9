using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// Becomes the --user identity once every socket is bound: supplementary groups, then the group,
/// then the user (after setuid the other two would be refused). Then proves it: all four ids are
/// the target's, and neither setuid(0) nor setgid(0) can take root back. Anything short of that
/// is an error, and the caller exits: the server never serves with a half-dropped identity.
/// </summary>
public static class PrivilegeDrop
{
    /// <summary>Null when the process is now the target identity, else a one-line message.</summary>
    public static string? Apply(ISocketApi api, UserDatabase.Target t)
    {
        string who = $"cannot drop privileges to user {Program.OneLine(t.Name)} (uid {t.Uid}, gid {t.Gid})";
        ProcessIdentity before = api.GetIdentity();
        bool already = before == new ProcessIdentity(t.Uid, t.Uid, t.Gid, t.Gid);
        // Already that user and not root (started by a service manager as it, say): there is
        // nothing to drop, and setgroups would be refused without CAP_SETGID.
        if (!(already && before.EUid != 0))
        {
            int r = api.SetGroups(t.Groups);
            if (r < 0) return $"{who}: setgroups: {Text(api, -r)}";
            r = api.SetGid(t.Gid);
            if (r < 0) return $"{who}: setgid: {Text(api, -r)}";
            r = api.SetUid(t.Uid);
            if (r < 0) return $"{who}: setuid: {Text(api, -r)}";
        }

        ProcessIdentity now = api.GetIdentity();
        var want = new ProcessIdentity(t.Uid, t.Uid, t.Gid, t.Gid);
        if (now != want) return $"{who}: the process is {now} after the drop, expected {want}";
        if (t.Uid != 0 && api.SetUid(0) == 0) return $"{who}: setuid(0) succeeded after the drop: root could be regained";
        if (t.Gid != 0 && api.SetGid(0) == 0) return $"{who}: setgid(0) succeeded after the drop: group root could be regained";
        return null;
    }

    private static string Text(ISocketApi api, int errno) =>
        Errno.Describe(errno, api.ErrorText(errno));
}
