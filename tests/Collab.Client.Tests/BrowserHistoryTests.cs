using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app's history view in headless Chromium: the text at an earlier seq, the diff to now, blame naming each
/// author, naming a version and restoring it (live on the other person's page). Waits for conditions only.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserHistoryTests(CollabServer server) : BrowserFlow(server)
{
    private async Task ShowAsync(IPage page, string mode)
    {
        await page.SelectOptionAsync("#history-mode", mode);
        await page.ClickAsync("#history-show");
        await WaitAsync(page, $"() => document.querySelector('#history-output').dataset.mode === '{mode}'", $"the {mode}");
    }

    [Fact]
    public async Task history_shows_an_earlier_version_the_diff_and_blame_and_restores_a_named_version()
    {
        string documentId = await DocumentAsync("hana", "history", ("ivo", "editor"));

        var hana = await OpenAsync("hana", documentId);
        await hana.ClickAsync(".cm-content");
        await hana.Keyboard.TypeAsync("one");
        await WaitAsync(hana, "() => document.querySelector('#pending').textContent === 'saved'", "hana's text to be saved");
        long first = await hana.EvaluateAsync<long>("() => window.collab.provider.savedSeq");

        var ivo = await OpenAsync("ivo", documentId);
        await ivo.ClickAsync(".cm-content");
        await ivo.Keyboard.PressAsync("Control+End");
        await ivo.Keyboard.TypeAsync(" two");
        await WaitAsync(ivo, "() => document.querySelector('#pending').textContent === 'saved'", "ivo's text to be saved");
        await WaitAsync(hana, "() => window.collab.ytext.toString() === 'one two'", "hana to see ivo's text");

        // The document at the earlier seq, read-only.
        await hana.ClickAsync("#history-panel summary");
        await WaitAsync(hana, $"() => Number(document.querySelector('#history-seq').max) > {first}", "the slider to reach the head");
        await hana.EvalOnSelectorAsync("#history-seq", "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')) }", first);
        await ShowAsync(hana, "text");
        await WaitAsync(hana, "() => document.querySelector('#history-output').textContent === 'one'", "the text at the earlier seq");

        // The diff to now: ivo's words inserted.
        await ShowAsync(hana, "diff");
        await WaitAsync(hana, "() => Array.from(document.querySelectorAll('#history-output ins')).map((e) => e.textContent).join('') === ' two'", "the insertion in the diff");

        // Blame at the head names both authors.
        await hana.EvalOnSelectorAsync("#history-seq", "(el) => { el.value = el.max; el.dispatchEvent(new Event('input')) }");
        await ShowAsync(hana, "blame");
        await WaitAsync(hana, "() => { const by = (a) => Array.from(document.querySelectorAll(`#history-output .blame[data-author='${a}']`)).map((e) => e.textContent).join(''); return by('hana') === 'one' && by('ivo') === ' two' }", "blame by author");
        await hana.ScreenshotAsync(new() { Path = Path.Combine(Shots, "history-blame.png"), FullPage = true });

        // Name the earlier seq, then restore it: ivo's page follows live.
        await hana.EvalOnSelectorAsync("#history-seq", "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')) }", first);
        await hana.FillAsync("#version-name", "first draft");
        await hana.ClickAsync("#version-save");
        await WaitAsync(hana, "() => document.querySelector(\"#versions li[data-version='first draft']\") !== null", "the named version");
        await hana.ClickAsync("#versions li[data-version='first draft'] .restore");
        await WaitAsync(ivo, "() => window.collab.ytext.toString() === 'one'", "ivo to see the restored version");
        await WaitAsync(hana, "() => window.collab.ytext.toString() === 'one'", "hana to see the restored version");

        AssertNoConsoleErrors();
    }
}
