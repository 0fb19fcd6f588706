using Collab.Documents.Access;

namespace Collab.Documents.Tests.Access;

public sealed class DocumentDirectoryTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "collab-directory-tests", Guid.NewGuid().ToString("N"), "directory.jsonl");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static DocumentEntry Entry(string id, string owner = "alice") => new(id, "Title " + id, owner, DateTimeOffset.UnixEpoch);

    [Fact]
    public void documents_and_roles_survive_reopening_the_journal()
    {
        using (var directory = new DocumentDirectory(_path))
        {
            directory.Add(Entry("d1"));
            directory.Grant("d1", "bob", DocumentRole.Editor);
            directory.Grant("d1", "carol", DocumentRole.Viewer);
            directory.Revoke("d1", "carol");
            directory.Grant("d1", "bob", DocumentRole.Auditor);
        }

        using var reopened = new DocumentDirectory(_path);
        Assert.Equal("Title d1", reopened.Find("d1")?.Title);
        Assert.Equal(DocumentRole.Owner, reopened.RoleOf("d1", "alice"));
        Assert.Equal(DocumentRole.Auditor, reopened.RoleOf("d1", "bob"));
        Assert.Equal(DocumentRole.None, reopened.RoleOf("d1", "carol"));
    }

    [Fact]
    public void a_torn_last_line_from_a_crash_is_dropped_and_the_journal_stays_usable()
    {
        using (var directory = new DocumentDirectory(_path))
        {
            directory.Add(Entry("d1"));
        }
        File.AppendAllText(_path, "{\"op\":\"grant\",\"document\":\"d1\",\"us");

        using (var reopened = new DocumentDirectory(_path))
        {
            Assert.Equal(DocumentRole.Owner, reopened.RoleOf("d1", "alice"));
            reopened.Grant("d1", "bob", DocumentRole.Viewer);
        }
        using var again = new DocumentDirectory(_path);
        Assert.Equal(DocumentRole.Viewer, again.RoleOf("d1", "bob"));
    }

    [Fact]
    public void nobody_has_a_role_by_default()
    {
        using var directory = new DocumentDirectory(null);
        directory.Add(Entry("d1"));
        Assert.Equal(DocumentRole.None, directory.RoleOf("d1", "bob"));
        Assert.Equal(DocumentRole.None, directory.RoleOf("unknown", "alice"));
        Assert.Empty(directory.ListFor("bob"));
    }

    [Fact]
    public void the_last_owner_cannot_be_revoked_or_demoted_but_a_second_owner_makes_it_possible()
    {
        using var directory = new DocumentDirectory(null);
        directory.Add(Entry("d1"));
        Assert.Equal(CollabErrorCode.Conflict, Assert.Throws<CollabException>(() => directory.Revoke("d1", "alice")).Code);
        Assert.Equal(CollabErrorCode.Conflict, Assert.Throws<CollabException>(() => directory.Grant("d1", "alice", DocumentRole.Viewer)).Code);

        directory.Grant("d1", "bob", DocumentRole.Owner);
        Assert.True(directory.Revoke("d1", "alice"));
        Assert.Equal(DocumentRole.None, directory.RoleOf("d1", "alice"));
    }

    [Fact]
    public void adding_an_existing_document_is_a_conflict()
    {
        using var directory = new DocumentDirectory(null);
        directory.Add(Entry("d1"));
        Assert.Equal(CollabErrorCode.Conflict, Assert.Throws<CollabException>(() => directory.Add(Entry("d1", "mallory"))).Code);
        Assert.Equal(DocumentRole.None, directory.RoleOf("d1", "mallory"));
    }

    [Theory]
    [InlineData(DocumentRole.Owner, true, true, true, true)]
    [InlineData(DocumentRole.Editor, true, true, false, false)]
    [InlineData(DocumentRole.Viewer, true, false, false, false)]
    [InlineData(DocumentRole.Auditor, true, false, true, false)]
    [InlineData(DocumentRole.None, false, false, false, false)]
    public void each_role_allows_exactly_its_capabilities(DocumentRole role, bool read, bool write, bool history, bool manage)
    {
        Assert.Equal(read, role.CanRead());
        Assert.Equal(write, role.CanWrite());
        Assert.Equal(history, role.CanReadHistory());
        Assert.Equal(manage, role.CanManage());
    }
}
