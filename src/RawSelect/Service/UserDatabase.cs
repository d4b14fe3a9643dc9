using System;
using System.Collections.Generic;

namespace RawSelect;

/// <summary>
/// Who --user and --group name, read from /etc/passwd and /etc/group themselves rather than
/// through getpwnam/initgroups: those load NSS plugins at run time (dlopen), which a libc-only,
/// possibly static, binary must not need. Lines that are blank, comments, malformed, or NIS
/// "+"/"-" entries are skipped; the first matching entry wins, as in glibc's files backend.
/// </summary>
public static class UserDatabase
{
    /// <summary>The identity to become: ids, the supplementary group list, and a name for messages.</summary>
    public sealed record Target(string Name, uint Uid, uint Gid, uint[] Groups);

    /// <summary>
    /// Resolves --user (a name, or a numeric uid) and --group (a name or gid; null = the user's
    /// primary group). A name is looked up first; digits that name nobody are taken as an id.
    /// Supplementary groups are initgroups(3)'s: the primary gid plus every /etc/group entry
    /// listing the user by name. A numeric uid without a passwd entry has no name to be listed
    /// under, so its only group is the one --group gives, which it must then give.
    /// Returns null and a one-line message naming what is unknown.
    /// </summary>
    public static Target? Resolve(string user, string? group, string passwd, string groupFile, out string error)
    {
        error = "";
        string? name = null;
        uint uid, primary = 0;
        bool hasPrimary = false;
        if (FindUser(passwd, user, byName: true) is (string n, uint u, uint g) byName)
        {
            (name, uid, primary, hasPrimary) = (n, u, g, true);
        }
        else if (TryParseId(user, out uid))
        {
            if (FindUser(passwd, user, byName: false) is (string n2, uint _, uint g2))
                (name, primary, hasPrimary) = (n2, g2, true);
        }
        else
        {
            error = $"unknown user '{Program.OneLine(user)}' for --user (not in /etc/passwd, and not a numeric uid)";
            return null;
        }

        if (uid == 0)
        {
            error = $"--user {Program.OneLine(user)} is uid 0 (root): dropping to it would drop nothing; name an unprivileged user";
            return null;
        }

        uint gid;
        if (group is not null)
        {
            if (FindGroup(groupFile, group) is uint gg) gid = gg;
            else if (!TryParseId(group, out gid))
            {
                error = $"unknown group '{Program.OneLine(group)}' for --group (not in /etc/group, and not a numeric gid)";
                return null;
            }
        }
        else if (hasPrimary) gid = primary;
        else
        {
            error = $"--user {Program.OneLine(user)} has no /etc/passwd entry, so no primary group: give --group too";
            return null;
        }

        var groups = new List<uint> { gid };
        if (name is not null)
            foreach (uint member in GroupsListing(groupFile, name))
                if (!groups.Contains(member)) groups.Add(member);
        return new Target(name ?? uid.ToString(), uid, gid, groups.ToArray());
    }

    /// <summary>A decimal id that fits uid_t/gid_t, not (uid_t)-1, which setuid takes to mean "no change".</summary>
    public static bool TryParseId(string s, out uint id)
    {
        id = 0;
        if (!Options.TryParseCount(s, out long v) || v >= uint.MaxValue) return false;
        id = (uint)v;
        return true;
    }

    /// <summary>name:passwd:uid:gid:gecos:dir:shell. Matches the name, or the uid when !byName.</summary>
    private static (string Name, uint Uid, uint Gid)? FindUser(string passwd, string key, bool byName)
    {
        foreach (string[] f in Entries(passwd, 7))
        {
            if (!TryParseId(f[2], out uint uid) || !TryParseId(f[3], out uint gid)) continue;
            if (byName ? f[0] == key : f[2] == key) return (f[0], uid, gid);
        }
        return null;
    }

    /// <summary>name:passwd:gid:members. By name first, then by gid.</summary>
    private static uint? FindGroup(string groupFile, string key)
    {
        uint? byId = null;
        foreach (string[] f in Entries(groupFile, 4))
        {
            if (!TryParseId(f[2], out uint gid)) continue;
            if (f[0] == key) return gid;
            if (byId is null && f[2] == key) byId = gid;
        }
        return byId;
    }

    private static IEnumerable<uint> GroupsListing(string groupFile, string user)
    {
        foreach (string[] f in Entries(groupFile, 4))
        {
            if (!TryParseId(f[2], out uint gid)) continue;
            foreach (string m in f[3].Split(','))
                if (m.Trim() == user) { yield return gid; break; }
        }
    }

    private static IEnumerable<string[]> Entries(string text, int fields)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
            string[] f = line.Split(':');
            if (f.Length != fields || f[0].Length == 0) continue;
            yield return f;
        }
    }
}
