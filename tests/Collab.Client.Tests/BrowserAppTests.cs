using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app's flows in headless Chromium (the system's /usr/bin/chromium): rich text typed at once by two
/// people, sharing with a viewer who is then made editor, fork / edit / preview the conflict / merge, and offline
/// edits that arrive after the network returns. Every wait is for a condition in the page; no console errors allowed.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserAppTests(CollabServer server) : BrowserFlow(server)
{
    private static Task WaitSavedAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.querySelector('#pending').textContent === 'saved' && window.collab.provider.status === 'connected'");

    private static Task<string> RichTextAsync(IPage page) => page.EvaluateAsync<string>("() => window.collab.rich.getText()");

    [Fact]
    public async Task two_people_type_into_the_same_rich_text_at_once_converge_and_see_each_others_caret()
    {
        string documentId = await DocumentAsync("alice", "rich text together", ("bob", "editor"));
        var alicePage = await OpenAsync("alice", documentId);
        var bobPage = await OpenAsync("bob", documentId);

        // A first line, then Alice types at its start and Bob at its end, at the same time.
        await alicePage.ClickAsync(".tiptap");
        await alicePage.Keyboard.TypeAsync("|middle|");
        await WaitAsync(bobPage, "() => window.collab.rich.getText() === '|middle|'", "bob to see alice's first line");
        await alicePage.Keyboard.PressAsync("Home");
        await bobPage.ClickAsync(".tiptap");
        await bobPage.Keyboard.PressAsync("End");
        await Task.WhenAll(
            alicePage.Keyboard.TypeAsync("Alice writes here ", new() { Delay = 15 }),
            bobPage.Keyboard.TypeAsync(" and Bob writes there", new() { Delay = 15 }));

        const string expected = "Alice writes here |middle| and Bob writes there";
        await WaitAsync(alicePage, $"() => window.collab.rich.getText() === '{expected}'", "alice's page to converge");
        await WaitAsync(bobPage, $"() => window.collab.rich.getText() === '{expected}'", "bob's page to converge");
        Assert.Equal(await RichTextAsync(alicePage), await RichTextAsync(bobPage));

        // Formatting travels too: a heading made by Bob is a heading for Alice.
        await bobPage.ClickAsync("#rich-toolbar button[aria-label='Heading 1']");
        await WaitAsync(alicePage, "() => document.querySelector('#rich .tiptap h1')?.textContent.includes('|middle|') === true", "alice to see bob's heading");

        // Keyboard: Ctrl+B on a selection, then a link from the toolbar's address field (Enter applies it).
        await bobPage.ClickAsync("#rich .tiptap");
        await bobPage.Keyboard.PressAsync("Control+a");
        await bobPage.Keyboard.PressAsync("Control+b");
        await WaitAsync(alicePage, "() => document.querySelector('#rich .tiptap strong')?.textContent.includes('Bob writes') === true", "alice to see bob's bold");
        await bobPage.FillAsync("#rich-toolbar .link-input", "https://example.com/");
        await bobPage.PressAsync("#rich-toolbar .link-input", "Enter");
        await WaitAsync(alicePage, "() => document.querySelector(\"#rich .tiptap a[href='https://example.com/']\") !== null", "alice to see bob's link");
        await bobPage.Keyboard.PressAsync("End");

        // Each sees the other's caret with the name, and the other in the list of who is here.
        await alicePage.WaitForSelectorAsync("#rich .collaboration-carets__label:text('bob')", new() { State = WaitForSelectorState.Attached });
        await bobPage.WaitForSelectorAsync("#rich .collaboration-carets__label:text('alice')", new() { State = WaitForSelectorState.Attached });
        await alicePage.WaitForSelectorAsync("#peers span:text('bob')");
        await bobPage.WaitForSelectorAsync("#peers span:text('alice')");
        await WaitAsync(alicePage, "() => document.querySelector('#pending').textContent === 'saved'", "alice's edits to be saved");
        Assert.Matches("saved up to seq [1-9][0-9]*", await alicePage.InnerTextAsync("#saved-seq"));

        // Bob moves on to the Markdown editor: Alice sees his text and his caret there.
        await bobPage.ClickAsync(".cm-content");
        await bobPage.Keyboard.TypeAsync("# Notes\n- both editors share one document");
        await WaitAsync(alicePage, "() => window.collab.ytext.toString().startsWith('# Notes')", "alice to see bob's markdown");
        await alicePage.WaitForSelectorAsync("#editor .cm-ySelectionInfo:text('bob')", new() { State = WaitForSelectorState.Attached });
        await alicePage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "rich-text-alice.png") });
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task the_owner_shares_with_a_viewer_who_follows_live_cannot_type_and_can_once_made_editor()
    {
        string documentId = await DocumentAsync("olga", "shared with vic");
        await Server.SignInAsync("vic");
        var ownerPage = await OpenAsync("olga", documentId);

        // Share from the page.
        await ownerPage.ClickAsync("#share-panel summary");
        await ownerPage.FillAsync("#share-user", "vic");
        await ownerPage.SelectOptionAsync("#share-role", "viewer");
        await ownerPage.ClickAsync("#share-grant");
        await ownerPage.WaitForSelectorAsync("#share-list li[data-user='vic']");

        var viewerPage = await OpenAsync("vic", documentId);
        await WaitAsync(viewerPage, "() => document.querySelector('#role').textContent === 'role: viewer'", "vic's role");
        Assert.Contains("viewer", await viewerPage.InnerTextAsync("#readonly-reason"));
        Assert.False(await viewerPage.EvaluateAsync<bool>("() => window.collab.rich.isEditable"));

        await ownerPage.ClickAsync(".tiptap");
        await ownerPage.Keyboard.TypeAsync("Live from Olga.");
        await WaitAsync(viewerPage, "() => window.collab.rich.getText() === 'Live from Olga.'", "vic to see olga's text live");

        // The viewer's typing goes nowhere, in either editor.
        await viewerPage.ClickAsync(".tiptap");
        await viewerPage.Keyboard.TypeAsync("nope");
        await viewerPage.ClickAsync(".cm-content");
        await viewerPage.Keyboard.TypeAsync("nope");
        await ownerPage.Keyboard.TypeAsync(" More.");
        await WaitAsync(viewerPage, "() => window.collab.rich.getText() === 'Live from Olga. More.'", "vic to see more of olga's text");
        Assert.Equal(string.Empty, await viewerPage.EvaluateAsync<string>("() => window.collab.ytext.toString()"));
        Assert.Equal(0, await viewerPage.EvaluateAsync<int>("() => window.collab.provider.pendingCount"));
        await viewerPage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "viewer-read-only.png") });

        // Made editor from the owner's page: vic's editors become writable without a reload.
        await ownerPage.SelectOptionAsync("#share-list li[data-user='vic'] select", "editor");
        await WaitAsync(viewerPage, "() => document.querySelector('#role').textContent === 'role: editor' && window.collab.rich.isEditable", "vic to become editor");
        Assert.True(await viewerPage.IsHiddenAsync("#readonly-reason"));
        await viewerPage.ClickAsync(".tiptap");
        await viewerPage.Keyboard.PressAsync("End");
        await viewerPage.Keyboard.TypeAsync(" Vic too.");
        await WaitAsync(ownerPage, "() => window.collab.rich.getText() === 'Live from Olga. More. Vic too.'", "olga to see vic's text");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task fork_from_the_branch_menu_edit_both_preview_the_conflict_and_merge()
    {
        string documentId = await DocumentAsync("mara", "fork and merge", ("ned", "editor"));
        var ownerPage = await OpenAsync("mara", documentId);
        await ownerPage.ClickAsync(".cm-content");
        await ownerPage.Keyboard.TypeAsync("The cat sat.");
        await WaitAsync(ownerPage, "() => document.querySelector('#pending').textContent === 'saved'", "mara's text to be saved");

        // Fork from now in the branch menu: the page moves to the new branch.
        await ownerPage.FillAsync("#fork-name", "purr");
        await ownerPage.ClickAsync("#fork");
        await WaitAsync(ownerPage, "() => window.collab.provider.branch === 'purr' && window.collab.provider.synced && window.collab.ytext.toString() === 'The cat sat.'", "mara to be on purr");

        // Ned, on main, sees the new branch appear in his menu (live notification).
        var nedPage = await OpenAsync("ned", documentId);
        await nedPage.WaitForSelectorAsync("#branch-select option[value='purr']", new() { State = WaitForSelectorState.Attached });

        // Both replace "cat": "dog" on purr, "cow" on main.
        await ReplaceCatAsync(ownerPage, "dog");
        await ReplaceCatAsync(nedPage, "cow");
        await WaitAsync(ownerPage, "() => window.collab.ytext.toString() === 'The dog sat.' && document.querySelector('#pending').textContent === 'saved'", "purr's edit to be saved");
        await WaitAsync(nedPage, "() => window.collab.ytext.toString() === 'The cow sat.' && document.querySelector('#pending').textContent === 'saved'", "main's edit to be saved");

        // The menu shows purr ahead of and behind main.
        await WaitAsync(ownerPage, "() => { const o = document.querySelector(\"#branch-select option[value='purr']\"); return o && Number(o.dataset.ahead) > 0 && Number(o.dataset.behind) > 0 }", "ahead/behind on purr");
        Assert.Matches(@"from main at seq \d+ · \d+ ahead, \d+ behind main", await ownerPage.InnerTextAsync("#branch-details"));

        // Preview: the conflict side by side.
        await ownerPage.ClickAsync("#merge-panel summary");
        Assert.Equal("purr", await ownerPage.InputValueAsync("#merge-source"));
        Assert.Equal("main", await ownerPage.InputValueAsync("#merge-target"));
        await ownerPage.ClickAsync("#merge-preview");
        await WaitAsync(ownerPage, "() => Number(document.querySelector('#merge-summary')?.dataset.conflicts) > 0", "the preview's conflicts");
        string conflict = await ownerPage.InnerTextAsync(".conflict");
        Assert.Contains("dog", conflict);
        Assert.Contains("cow", conflict);
        Assert.Contains("base", conflict);
        await ownerPage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "merge-preview.png"), FullPage = true });

        // Merge: main gets purr's change, live on Ned's page.
        await ownerPage.ClickAsync("#merge-run");
        await WaitAsync(ownerPage, "() => document.querySelector('#merge-summary')?.textContent.startsWith('Merged purr') === true", "the merge");
        await WaitAsync(nedPage, "() => window.collab.ytext.toString().includes('dog') && window.collab.ytext.toString().includes('cow')", "ned to receive the merge");
        await WaitAsync(ownerPage, "() => document.querySelector(\"#branch-select option[value='purr']\")?.dataset.ahead === '0'", "purr to be 0 ahead after the merge");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task edits_made_offline_arrive_when_the_network_returns_and_both_browsers_agree()
    {
        string documentId = await DocumentAsync("otto", "offline", ("pia", "editor"));
        var ottoPage = await OpenAsync("otto", documentId, width: 420);
        var piaPage = await OpenAsync("pia", documentId);

        await ottoPage.Context.SetOfflineAsync(true);
        await WaitAsync(ottoPage, "() => document.querySelector('#status').dataset.status !== 'connected'", "otto to notice he is offline");
        await ottoPage.ClickAsync(".tiptap");
        await ottoPage.Keyboard.TypeAsync("written offline");
        await WaitAsync(ottoPage, "() => /offline · \\d+ pending/.test(document.querySelector('#status').textContent)", "the offline status with pending edits");
        await ottoPage.ScreenshotAsync(new() { Path = Path.Combine(Shots, "offline-narrow.png") });
        Assert.Equal(string.Empty, await RichTextAsync(piaPage));

        await ottoPage.Context.SetOfflineAsync(false);
        await WaitAsync(piaPage, "() => window.collab.rich.getText() === 'written offline'", "pia to receive otto's offline edits", 40000);
        await WaitAsync(ottoPage, "() => document.querySelector('#pending').textContent === 'saved' && window.collab.provider.status === 'connected'", "otto to be saved", 40000);
        Assert.Equal(await RichTextAsync(ottoPage), await RichTextAsync(piaPage));

        // Offline again, and the tab is closed before the network returns: IndexedDB kept the edits, and the next
        // visit sends them.
        await ottoPage.Context.SetOfflineAsync(true);
        await WaitAsync(ottoPage, "() => document.querySelector('#status').dataset.status !== 'connected'", "otto to be offline again");
        int stored = await StoredUpdatesAsync(ottoPage, documentId);
        await ottoPage.Keyboard.TypeAsync(", kept");
        await WaitAsync(ottoPage, $"() => new Promise((resolve) => {{ const r = indexedDB.open('collab:{documentId}:main'); r.onsuccess = () => {{ const c = r.result.transaction('updates').objectStore('updates').count(); c.onsuccess = () => {{ r.result.close(); resolve(c.result >= {stored + 6}) }} }} }})", "the offline edits to reach IndexedDB");
        var context = ottoPage.Context;
        await ottoPage.CloseAsync();
        await context.SetOfflineAsync(false);
        var again = await context.NewPageAsync();
        Host.Watch(again, "otto");
        await GotoAsync(again, "otto", documentId);
        await WaitAsync(piaPage, "() => window.collab.rich.getText() === 'written offline, kept'", "pia to receive the edits kept in IndexedDB", 40000);
        Assert.Equal("written offline, kept", await RichTextAsync(again));
    }

    /// <summary>How many updates y-indexeddb holds for the document's main branch in this page's browser context.</summary>
    private static Task<int> StoredUpdatesAsync(IPage page, string documentId) => page.EvaluateAsync<int>(
        $"() => new Promise((resolve) => {{ const r = indexedDB.open('collab:{documentId}:main'); r.onsuccess = () => {{ const c = r.result.transaction('updates').objectStore('updates').count(); c.onsuccess = () => {{ r.result.close(); resolve(c.result) }} }} }})");

    [Fact]
    public async Task move_my_work_to_a_branch_and_fork_from_a_point_in_history()
    {
        string documentId = await DocumentAsync("rita", "history forks");
        var page = await OpenAsync("rita", documentId);
        await page.ClickAsync(".cm-content");
        await page.Keyboard.TypeAsync("one");
        await WaitSavedAsync(page);
        long seqAfterOne = await page.EvaluateAsync<long>("() => window.collab.provider.savedSeq");
        await page.Keyboard.TypeAsync(" two");
        await WaitSavedAsync(page);

        // Fork from a point in history: the branch holds the text as it was at that seq.
        await page.FillAsync("#fork-name", "early");
        await page.FillAsync("#fork-seq", seqAfterOne.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("#fork");
        await WaitAsync(page, "() => window.collab.provider.branch === 'early' && window.collab.provider.synced && window.collab.ytext.toString() === 'one'", "the fork at the earlier seq");
        await WaitAsync(page, $"() => document.querySelector('#branch-details').textContent.includes('from main at seq {seqAfterOne}')", "the menu to describe the fork");

        // Back to main through the menu (keyboard: the select is a native control).
        await page.SelectOptionAsync("#branch-select", "main");
        await WaitAsync(page, "() => window.collab.provider.branch === 'main' && window.collab.provider.synced && window.collab.ytext.toString() === 'one two'", "main again");
        await page.ClickAsync(".cm-content");
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync(" three");

        // Move my work: the page carries on, with the same document, on a new branch forked at main's head.
        await page.FillAsync("#move-name", "mine");
        await page.ClickAsync("#move");
        await WaitAsync(page, "() => window.collab.provider.branch === 'mine' && window.collab.provider.status === 'connected' && new URL(location.href).searchParams.get('branch') === 'mine'", "the move to 'mine'");
        await page.ClickAsync(".cm-content");
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync(" four");
        await WaitSavedAsync(page);
        await page.WaitForSelectorAsync("#branch-select option[value='mine']", new() { State = WaitForSelectorState.Attached });

        // main has everything up to the move, not what followed it.
        var other = await OpenAsync("rita", documentId);
        Assert.Equal("one two three", await other.EvaluateAsync<string>("() => window.collab.ytext.toString()"));
        Assert.Equal("one two three four", await page.EvaluateAsync<string>("() => window.collab.ytext.toString()"));

        // The audit view (owner): the branch's chain verifies, and its events are listed with who wrote them.
        await page.ClickAsync("#audit-panel summary");
        await page.ClickAsync("#audit-verify");
        await WaitAsync(page, "() => document.querySelector('#audit-verdict').textContent.startsWith('Valid:')", "the chain verification");
        await WaitAsync(page, "() => Array.from(document.querySelectorAll('#audit-view tbody td')).some((td) => td.textContent === 'rita')", "the event list");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task a_server_restart_while_typing_loses_no_keystroke()
    {
        string documentId = await DocumentAsync("sam", "restart");
        var page = await OpenAsync("sam", documentId);
        await page.ClickAsync(".cm-content");
        const string before = "typed before the restart. ";
        const string during = "typed while the server restarts. ";
        await page.Keyboard.TypeAsync(before);

        var typing = page.Keyboard.TypeAsync(during, new() { Delay = 40 });
        await Server.RestartAsync();
        await typing;
        await page.Keyboard.TypeAsync("after.");

        await WaitAsync(page, "() => document.querySelector('#pending').textContent === 'saved' && window.collab.provider.status === 'connected'", "every keystroke to be acknowledged", 60000);
        var reader = await OpenAsync("sam", documentId);
        Assert.Equal(before + during + "after.", await reader.EvaluateAsync<string>("() => window.collab.ytext.toString()"));
    }
}
