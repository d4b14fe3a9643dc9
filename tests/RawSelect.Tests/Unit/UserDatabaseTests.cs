namespace RawSelect.Tests.Unit;

public class UserDatabaseTests
{
    private const string Passwd = """
        # comment
        root:x:0:0:root:/root:/bin/bash

        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        broken line without colons
        short:x:5
        badid:x:abc:1::/:/bin/sh
        +nisuser::::::
        echo:x:1500:1500:Echo,,,:/home/echo:/bin/sh
        dup:x:1600:1600::/:/bin/sh
        dup:x:1601:1601::/:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
        1700:x:1800:1800:a numeric name:/:/bin/sh
        """;

    private const string Group = """
        root:x:0:
        daemon:x:1:
        adm:x:4:echo,syslog
        net:x:200: echo ,other
        echo:x:1500:
        nogroup:x:65534:
        broken
        staff:x:50:
        notme:x:300:echoes,xecho
        """;

    private static UserDatabase.Target Ok(string user, string? group = null)
    {
        UserDatabase.Target? t = UserDatabase.Resolve(user, group, Passwd.Replace("\n", "\r\n"), Group, out string err);
        Assert.True(t is not null, err);
        return t!;
    }

    private static string Fails(string user, string? group = null)
    {
        Assert.Null(UserDatabase.Resolve(user, group, Passwd, Group, out string err));
        Assert.DoesNotContain('\n', err);
        return err;
    }

    [Fact]
    public void A_name_gives_its_ids_and_initgroups_list()
    {
        UserDatabase.Target t = Ok("echo");
        Assert.Equal((1500u, 1500u), (t.Uid, t.Gid));
        Assert.Equal(new uint[] { 1500, 4, 200 }, t.Groups); // primary first, then each group listing it; not "echoes"
    }

    [Fact]
    public void Nobody_has_only_its_primary_group()
    {
        UserDatabase.Target t = Ok("nobody");
        Assert.Equal(new uint[] { 65534 }, t.Groups);
    }

    [Fact]
    public void A_numeric_uid_with_an_entry_is_that_user()
    {
        UserDatabase.Target t = Ok("65534");
        Assert.Equal("nobody", t.Name);
        Assert.Equal(65534u, t.Gid);
    }

    [Fact]
    public void A_numeric_uid_without_an_entry_needs_group_and_gets_no_other_groups()
    {
        Assert.Contains("give --group too", Fails("4321"));
        UserDatabase.Target t = Ok("4321", "staff");
        Assert.Equal((4321u, 50u), (t.Uid, t.Gid));
        Assert.Equal(new uint[] { 50 }, t.Groups);
        Assert.Equal(new uint[] { 777 }, Ok("4321", "777").Groups);
    }

    [Fact]
    public void Group_overrides_the_primary_group_and_keeps_the_memberships()
    {
        UserDatabase.Target t = Ok("echo", "nogroup");
        Assert.Equal(65534u, t.Gid);
        Assert.Equal(new uint[] { 65534, 4, 200 }, t.Groups);
    }

    [Fact]
    public void A_name_wins_over_a_number_and_the_first_entry_wins()
    {
        Assert.Equal(1800u, Ok("1700").Uid);
        Assert.Equal(1600u, Ok("dup").Uid);
    }

    [Theory]
    [InlineData("nosuchuser", "unknown user 'nosuchuser'")]
    [InlineData("short", "unknown user 'short'")]           // malformed entries are skipped
    [InlineData("+nisuser", "unknown user '+nisuser'")]
    [InlineData("-1", "unknown user '-1'")]
    [InlineData("4294967295", "unknown user '4294967295'")] // (uid_t)-1 means "no change" to setuid
    [InlineData("bad\u001bname", "unknown user 'bad\\x1bname'")]
    [InlineData("root", "uid 0 (root)")]
    [InlineData("0", "uid 0 (root)")]
    public void Unknown_or_root_users_are_refused_by_name(string user, string expected) =>
        Assert.Contains(expected, Fails(user));

    [Fact]
    public void An_unknown_group_is_refused_by_name() =>
        Assert.Contains("unknown group 'wheel'", Fails("echo", "wheel"));
}
