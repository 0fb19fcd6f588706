using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app's review flow in headless Chromium: fork, edit both branches, protect the parent, open a proposal
/// and see its conflict, approve it as a second person (nobody reviews their own), merge it, decide the conflict, and
/// find the decision in the audit trail; the proposal's full diff; an owner letting editors merge; two conflicts
/// decided with the merge in one go; decisions taken all at once afterwards. Every wait is for a condition in the
/// page; no console errors allowed.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserReviewTests(CollabServer server) : BrowserFlow(server)
{
    [Fact]
    public async Task propose_see_the_conflict_approve_as_another_user_merge_decide_and_find_the_decision_in_the_audit()
    {
        string documentId = await DocumentAsync("vera", "review", ("walt", "editor"));

        var vera = await OpenAsync("vera", documentId);
        await vera.ClickAsync(".cm-content");
        await vera.Keyboard.TypeAsync("The cat sat.");
        await WaitAsync(vera, "() => document.querySelector('#pending').textContent === 'saved'", "vera's text to be saved");
        await vera.FillAsync("#fork-name", "purr");
        await vera.ClickAsync("#fork");
        await WaitAsync(vera, "() => window.collab.provider.branch === 'purr' && window.collab.provider.synced && window.collab.ytext.toString() === 'The cat sat.'", "vera to be on purr");

        // Both branches replace "cat": "dog" on purr (vera), "cow" on main (walt).
        var walt = await OpenAsync("walt", documentId);
        await ReplaceCatAsync(vera, "dog");
        await ReplaceCatAsync(walt, "cow");
        await WaitAsync(vera, "() => window.collab.ytext.toString() === 'The dog sat.' && document.querySelector('#pending').textContent === 'saved'", "purr's edit to be saved");
        await WaitAsync(walt, "() => window.collab.ytext.toString() === 'The cow sat.' && document.querySelector('#pending').textContent === 'saved'", "main's edit to be saved");

        // The owner protects main from the branch menu; walt's menu marks it live.
        await vera.SelectOptionAsync("#branch-select", "main");
        await WaitAsync(vera, "() => window.collab.provider.branch === 'main' && window.collab.provider.synced && !document.querySelector('#branch-protect').hidden", "vera to be on main");
        await vera.ClickAsync("#branch-protect");
        await WaitAsync(walt, "() => document.querySelector(\"#branch-select option[value='main']\")?.dataset.protected === 'true'", "walt to see main protected");
        await WaitAsync(vera, "() => document.querySelector('#branch-protect').textContent === 'Unprotect'", "the button to offer unprotecting");
        await vera.SelectOptionAsync("#branch-select", "purr");
        await WaitAsync(vera, "() => window.collab.provider.branch === 'purr' && window.collab.provider.synced", "vera to be back on purr");

        // Vera proposes purr → main and sees the conflict side by side, and that it needs an approval.
        await vera.ClickAsync("#review-panel summary");
        await WaitAsync(vera, "() => !document.querySelector('#proposal-title').disabled", "the proposal form");
        await vera.FillAsync("#proposal-title", "A dog, not a cow");
        await vera.ClickAsync("#proposal-open");
        await WaitAsync(vera, "() => Number(document.querySelector('#proposal-state')?.dataset.conflicts) > 0", "the proposal's conflicts");
        string conflict = await vera.InnerTextAsync("#proposal .conflict");
        Assert.Contains("dog", conflict);
        Assert.Contains("cow", conflict);
        Assert.Contains("base", conflict);
        Assert.True(await vera.IsDisabledAsync("#proposal-approve"), "the author cannot approve their own proposal");
        Assert.True(await vera.IsDisabledAsync("#proposal-merge"), "a protected target needs an approval first");
        Assert.NotEmpty(await vera.InnerTextAsync("#proposal-blockers"));

        // Walt opens it from the list and approves.
        await walt.ClickAsync("#review-panel summary");
        await walt.ClickAsync("#proposals button[data-proposal]");
        await WaitAsync(walt, "() => { const b = document.querySelector('#proposal-approve'); return b !== null && !b.disabled }", "walt's approve button");
        await walt.ClickAsync("#proposal-approve");

        // Vera's view follows live; she merges.
        await WaitAsync(vera, "() => document.querySelector('#proposal-state')?.dataset.review === 'approved' && !document.querySelector('#proposal-merge').disabled", "the approval to reach vera");
        await vera.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-proposal.png"), FullPage = true });
        await vera.ClickAsync("#proposal-merge");
        await WaitAsync(vera, "() => document.querySelector('#proposal-state')?.dataset.state === 'merged'", "the merge");
        await WaitAsync(walt, "() => window.collab.ytext.toString().includes('dog')", "walt to receive the merge");

        // The merge's conflict stays listed until decided: vera keeps ours (main's "cow").
        await WaitAsync(vera, "() => document.querySelector('#open-conflicts .open-conflict') !== null", "the open conflict");
        await vera.CheckAsync("#open-conflicts .open-conflict input[value='ours']");
        await vera.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-decide.png"), FullPage = true });
        await vera.ClickAsync("#open-conflicts .open-conflict .decide");
        await WaitAsync(vera, "() => document.querySelector('#open-conflicts').dataset.count === '0'", "no open conflict left");
        await WaitAsync(walt, "() => window.collab.ytext.toString().includes('cow') && !window.collab.ytext.toString().includes('dog')", "walt to see the decision");

        // The audit trail shows the decision, who took it, and the proposal's merge.
        await vera.ClickAsync("#audit-panel summary");
        await vera.ClickAsync("#audit-verify");
        await WaitAsync(vera, "() => document.querySelector('#audit-verdict').textContent.startsWith('Valid:')", "the chain verification");
        await WaitAsync(vera, "() => Array.from(document.querySelectorAll('#audit-trail tbody tr')).some((tr) => tr.textContent.includes('=ours') && tr.textContent.includes('vera'))", "the decision in the audit trail");
        await WaitAsync(vera, "() => document.querySelector(\"#audit-trail tr[data-type='proposal.merged']\") !== null", "the proposal's merge in the audit trail");
        await vera.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-audit.png"), FullPage = true });

        AssertNoConsoleErrors();
    }

    private async Task SavedAsync(IPage page, string text, string what) =>
        await WaitAsync(page, $"() => window.collab.ytext.toString() === '{text}' && document.querySelector('#pending').textContent === 'saved'", what);

    [Fact]
    public async Task the_owner_lets_editors_merge_and_an_editor_merges_a_proposal_whose_full_diff_lists_the_change()
    {
        string documentId = await DocumentAsync("olga", "editors merge", ("pete", "editor"));

        var olga = await OpenAsync("olga", documentId);
        await olga.ClickAsync(".cm-content");
        await olga.Keyboard.TypeAsync("The cat sat.");
        await SavedAsync(olga, "The cat sat.", "olga's text to be saved");

        // Pete (editor) forks, writes "dog" and proposes it; main is unprotected, but editors may not merge yet.
        var pete = await OpenAsync("pete", documentId);
        await pete.FillAsync("#fork-name", "pete/dog");
        await pete.ClickAsync("#fork");
        await WaitAsync(pete, "() => window.collab.provider.branch === 'pete/dog' && window.collab.provider.synced", "pete to be on his branch");
        await ReplaceCatAsync(pete, "dog");
        await SavedAsync(pete, "The dog sat.", "pete's edit to be saved");
        await pete.ClickAsync("#review-panel summary");
        await WaitAsync(pete, "() => !document.querySelector('#proposal-title').disabled", "the proposal form");
        await pete.FillAsync("#proposal-title", "A dog");
        await pete.ClickAsync("#proposal-open");
        await WaitAsync(pete, "() => document.querySelector('#proposal-state')?.dataset.state === 'open'", "pete's proposal");
        Assert.True(await pete.IsDisabledAsync("#proposal-merge"), "editors may not merge until an owner lets them");
        // An editor may not use the server's compare: his page diffs the two versions' texts itself.
        await WaitAsync(pete, "() => document.querySelector('#proposal-diff del')?.textContent === 'cat' && document.querySelector('#proposal-diff ins')?.textContent === 'dog'", "pete's word diff of his proposal");

        // Olga sees the proposal's full diff: "cat" deleted, "dog" inserted; side by side too.
        await olga.ClickAsync("#review-panel summary");
        await olga.ClickAsync("#proposals button[data-proposal]");
        await WaitAsync(olga, "() => document.querySelector('#proposal-diff')?.dataset.changes > 0 && document.querySelector('#proposal-diff del')?.textContent === 'cat' && document.querySelector('#proposal-diff ins')?.textContent === 'dog'", "the proposal's diff");
        await olga.SelectOptionAsync("#proposal-diff-layout", "sides");
        await WaitAsync(olga, "() => document.querySelector(\"#proposal-diff [data-side='before'] del\")?.textContent === 'cat' && document.querySelector(\"#proposal-diff [data-side='after'] ins\")?.textContent === 'dog'", "the proposal's diff side by side");
        await olga.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-diff.png"), FullPage = true });

        // Olga lets editors merge, from the sharing controls.
        await olga.ClickAsync("#share-panel summary");
        await WaitAsync(olga, "() => { const c = document.querySelector('#editors-may-merge'); return c !== null && !c.disabled && !c.checked }", "the setting, off");
        await olga.CheckAsync("#editors-may-merge");
        await WaitAsync(olga, "() => { const c = document.querySelector('#editors-may-merge'); return c.checked && !c.disabled }", "the setting to be saved");
        await olga.ScreenshotAsync(new() { Path = Path.Combine(Shots, "share-editors-may-merge.png"), FullPage = true });

        // Pete's review panel, opened again, offers the merge; he merges and olga's main has the dog.
        await pete.ClickAsync("#share-panel summary");
        await WaitAsync(pete, "() => document.querySelector('#editors-may-merge')?.checked === true && document.querySelector('#editors-may-merge').disabled", "pete to see the setting, read-only");
        await pete.ClickAsync("#review-panel summary");
        await pete.ClickAsync("#review-panel summary");
        await WaitAsync(pete, "() => { const b = document.querySelector('#proposal-merge'); return b !== null && !b.disabled }", "pete's merge button");
        await pete.ClickAsync("#proposal-merge");
        await WaitAsync(pete, "() => document.querySelector('#proposal-state')?.dataset.state === 'merged'", "pete's merge");
        await WaitAsync(olga, "() => window.collab.ytext.toString() === 'The dog sat.'", "olga to receive the merge");

        AssertNoConsoleErrors();
    }

    /// <summary>
    /// "The cat sat on the mat." on main, forked to "rug"; the owner writes "dog" and "rug" there, the editor "cow" and
    /// "hat" on main: two conflicts. The owner's page (of <paramref name="width"/>) proposes rug → main and waits for both.
    /// </summary>
    private async Task<(IPage Owner, IPage Editor)> TwoConflictsProposedAsync(string owner, string editor, int width = 1280)
    {
        string documentId = await DocumentAsync(owner, "two conflicts", (editor, "editor"));

        var ownerPage = await OpenAsync(owner, documentId, width: width);
        await ownerPage.ClickAsync(".cm-content");
        await ownerPage.Keyboard.TypeAsync("The cat sat on the mat.");
        await SavedAsync(ownerPage, "The cat sat on the mat.", "the owner's text to be saved");
        await ownerPage.FillAsync("#fork-name", "rug");
        await ownerPage.ClickAsync("#fork");
        await WaitAsync(ownerPage, "() => window.collab.provider.branch === 'rug' && window.collab.provider.synced", "the owner to be on rug");

        // Two places changed on both branches: "cat" and "mat".
        var editorPage = await OpenAsync(editor, documentId);
        await ReplaceAtAsync(ownerPage, 19, 3, "rug");
        await ReplaceAtAsync(ownerPage, 4, 3, "dog");
        await ReplaceAtAsync(editorPage, 19, 3, "hat");
        await ReplaceAtAsync(editorPage, 4, 3, "cow");
        await SavedAsync(ownerPage, "The dog sat on the rug.", "rug's edits to be saved");
        await SavedAsync(editorPage, "The cow sat on the hat.", "main's edits to be saved");

        await ownerPage.ClickAsync("#review-panel summary");
        await WaitAsync(ownerPage, "() => !document.querySelector('#proposal-title').disabled", "the proposal form");
        await ownerPage.FillAsync("#proposal-title", "Dog on a rug: a long title that wraps in the narrow side panel of the review view");
        await ownerPage.ClickAsync("#proposal-open");
        await WaitAsync(ownerPage, "() => document.querySelector('#proposal-state')?.dataset.conflicts === '2'", "the proposal's two conflicts");
        return (ownerPage, editorPage);
    }

    [Fact]
    public async Task two_conflicts_are_decided_with_the_merge_in_one_go_and_the_audit_shows_both_decisions()
    {
        var (nina, omar) = await TwoConflictsProposedAsync("nina", "omar");

        // Nina chooses for both conflicts: theirs (rug's "dog") and ours (main's "hat"), and merges with both.
        await nina.CheckAsync("#proposal .conflict:has-text('cow') input[value='theirs']");
        await nina.CheckAsync("#proposal .conflict:has-text('hat') input[value='ours']");
        await WaitAsync(nina, "() => document.querySelector('#proposal-merge').dataset.decisions === '2'", "both choices counted");
        await nina.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-decide-with-merge.png"), FullPage = true });
        await nina.ClickAsync("#proposal-merge");
        await WaitAsync(nina, "() => document.querySelector('#proposal-state')?.dataset.state === 'merged'", "the merge");
        await WaitAsync(omar, "() => window.collab.ytext.toString() === 'The dog sat on the hat.'", "omar to see both decisions");
        await WaitAsync(nina, "() => document.querySelector('#open-conflicts').dataset.count === '0'", "no open conflict left");

        // The audit trail shows both decisions by nina.
        await nina.ClickAsync("#audit-panel summary");
        await WaitAsync(nina, "() => { const rows = Array.from(document.querySelectorAll('#audit-trail tbody tr')).map((tr) => tr.textContent); return rows.some((t) => t.includes('=theirs') && t.includes('nina')) && rows.some((t) => t.includes('=ours') && t.includes('nina')) }", "both decisions in the audit trail");
        await nina.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-audit-two-decisions.png"), FullPage = true });

        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task in_a_narrow_window_the_proposal_list_wraps_cleanly_and_open_conflicts_are_decided_all_at_once_after_the_merge()
    {
        var (kai, lena) = await TwoConflictsProposedAsync("kai", "lena", width: 400);

        // The long title wraps inside its item: nothing sticks out, and the title starts where its item's text starts.
        const string fits = "() => { const li = document.querySelector('#proposals .proposal-item'); const b = li?.querySelector('button'); if (!b) return false; const l = li.getBoundingClientRect(), r = b.getBoundingClientRect(); return li.scrollWidth <= li.clientWidth && r.right <= l.right + 1 && r.height > 30 && getComputedStyle(li).listStyleType === 'none' }";
        await WaitAsync(kai, fits, "the wrapped proposal title to fit its item");
        await kai.Locator("#proposals").ScrollIntoViewIfNeededAsync();
        await kai.ScreenshotAsync(new() { Path = Path.Combine(Shots, "review-narrow.png"), FullPage = true });

        // Merged without choosing: both conflicts stay open; kai picks theirs for one, keeps the other as merged, and
        // decides both with one click.
        await kai.ClickAsync("#proposal-merge");
        await WaitAsync(kai, "() => document.querySelector('#proposal-state')?.dataset.state === 'merged'", "the merge");
        await WaitAsync(kai, "() => document.querySelector('#open-conflicts').dataset.count === '2' && !document.querySelector('#decide-all').hidden", "two open conflicts and the decide-all button");
        await kai.CheckAsync("#open-conflicts .open-conflict:has-text('cow') input[value='theirs']");
        await kai.CheckAsync("#open-conflicts .open-conflict:has-text('hat') input[value='ours']");
        await kai.ClickAsync("#decide-all");
        await WaitAsync(kai, "() => document.querySelector('#open-conflicts').dataset.count === '0'", "no open conflict left");
        await WaitAsync(lena, "() => window.collab.ytext.toString() === 'The dog sat on the hat.'", "lena to see both decisions");

        await kai.ClickAsync("#audit-panel summary");
        await WaitAsync(kai, "() => { const rows = Array.from(document.querySelectorAll('#audit-trail tbody tr')).map((tr) => tr.textContent); return rows.some((t) => t.includes('=theirs') && t.includes('=ours') && t.includes('kai')) }", "one resolution with both decisions in the audit trail");

        AssertNoConsoleErrors();
    }
}
