using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

/// <summary>The drop's every failure through the seam: each ends the start, none serves half-dropped.</summary>
public class PrivilegeDropFaultTests
{
    private static readonly UserDatabase.Target Nobody = new("nobody", 65534, 65534, [65534, 100]);

    /// <summary>Root that becomes whatever setgid/setuid set, and can regain nothing afterwards.</summary>
    private static ISocketApi Root(string? failing = null)
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        uint uid = 0, gid = 0;
        api.GetIdentity().Returns(_ => new ProcessIdentity(uid, uid, gid, gid));
        api.SetGroups(Arg.Any<uint[]>()).Returns(_ => failing == "setgroups" ? -Errno.EPERM : 0);
        api.SetGid(Arg.Any<uint>()).Returns(ci =>
        {
            if (uid != 0 || failing == "setgid") return -Errno.EPERM;
            gid = ci.Arg<uint>();
            return 0;
        });
        api.SetUid(Arg.Any<uint>()).Returns(ci =>
        {
            if (failing == "setuid") return -Errno.EAGAIN; // RLIMIT_NPROC, setuid(2)
            if (uid != 0) return -Errno.EPERM;
            uid = ci.Arg<uint>();
            return 0;
        });
        return api;
    }

    [Fact]
    public void Groups_then_group_then_user_then_proof_that_root_is_gone()
    {
        ISocketApi api = Root();
        Assert.Null(PrivilegeDrop.Apply(api, Nobody));
        Received.InOrder(() =>
        {
            api.GetIdentity();
            api.SetGroups(Arg.Is<uint[]>(g => g.SequenceEqual(new uint[] { 65534, 100 })));
            api.SetGid(65534);
            api.SetUid(65534);
            api.GetIdentity();
            api.SetUid(0);
            api.SetGid(0);
        });
    }

    [Theory]
    [InlineData("setgroups")]
    [InlineData("setgid")]
    [InlineData("setuid")]
    public void A_failing_call_is_one_line_with_the_errno_text(string call)
    {
        ISocketApi api = Root(failing: call);
        string? err = PrivilegeDrop.Apply(api, Nobody);
        Assert.NotNull(err);
        Assert.Contains("cannot drop privileges to user nobody", err);
        Assert.Contains($"{call}: text ({(call == "setuid" ? "EAGAIN" : "EPERM")})", err);
        if (call != "setuid") api.DidNotReceive().SetUid(Arg.Any<uint>()); // stops at the first failure
    }

    [Fact]
    public void Ids_that_do_not_all_match_afterwards_are_an_error()
    {
        var api = Substitute.For<ISocketApi>();
        api.GetIdentity().Returns(new ProcessIdentity(0, 0, 0, 0), new ProcessIdentity(65534, 0, 65534, 65534)); // euid still root
        Assert.Contains("euid=0", PrivilegeDrop.Apply(api, Nobody));
    }

    [Fact]
    public void A_setuid_0_that_succeeds_afterwards_is_an_error()
    {
        var api = Substitute.For<ISocketApi>();
        api.GetIdentity().Returns(new ProcessIdentity(0, 0, 0, 0), new ProcessIdentity(65534, 65534, 65534, 65534));
        api.SetUid(Arg.Any<uint>()).Returns(0); // a kernel that would let root back in
        Assert.Contains("setuid(0) succeeded after the drop", PrivilegeDrop.Apply(api, Nobody));
    }

    [Fact]
    public void A_setgid_0_that_succeeds_afterwards_is_an_error()
    {
        var api = Substitute.For<ISocketApi>();
        api.GetIdentity().Returns(new ProcessIdentity(0, 0, 0, 0), new ProcessIdentity(65534, 65534, 65534, 65534));
        api.SetUid(0).Returns(-Errno.EPERM);
        Assert.Contains("setgid(0) succeeded after the drop", PrivilegeDrop.Apply(api, Nobody));
    }

    [Fact]
    public void Already_that_user_and_not_root_there_is_nothing_to_drop()
    {
        var api = Substitute.For<ISocketApi>();
        api.GetIdentity().Returns(new ProcessIdentity(65534, 65534, 65534, 65534));
        api.SetUid(0).Returns(-Errno.EPERM);
        api.SetGid(0).Returns(-Errno.EPERM);
        Assert.Null(PrivilegeDrop.Apply(api, Nobody));
        api.DidNotReceive().SetGroups(Arg.Any<uint[]>());
    }

    [Fact]
    public void Another_unprivileged_user_cannot_switch_and_says_why()
    {
        var api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("Operation not permitted");
        api.GetIdentity().Returns(new ProcessIdentity(1000, 1000, 1000, 1000));
        api.SetGroups(Arg.Any<uint[]>()).Returns(-Errno.EPERM);
        Assert.Contains("setgroups: Operation not permitted (EPERM)", PrivilegeDrop.Apply(api, Nobody));
    }
}
