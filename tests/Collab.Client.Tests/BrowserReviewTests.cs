using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app's review flow in headless Chromium: fork, edit both branches, protect the parent, open a proposal
/// and see its conflict, approve it as a second person (nobody reviews their own), merge it, decide the conflict, and
/// find the decision in the audit trail. Every wait is for a condition in the page; no console errors allowed.
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
}
