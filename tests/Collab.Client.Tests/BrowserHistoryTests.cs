using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app's history view in headless Chromium: the text at an earlier seq, the diff to now (inline and side
/// by side, reached by keyboard), blame naming each author, naming a version and restoring it (live on the other
/// person's page); the same for the rich-text root, shown as read-only HTML. Waits for conditions only.
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

        // Side by side, driven by the keyboard: the mode picked, Tab to Show, Enter, Tab into the output and its columns.
        await hana.FocusAsync("#history-mode");
        await hana.SelectOptionAsync("#history-mode", "sides");
        await hana.Keyboard.PressAsync("Tab");
        Assert.Equal("history-show", await hana.EvaluateAsync<string>("() => document.activeElement.id"));
        await hana.Keyboard.PressAsync("Enter");
        await WaitAsync(hana, "() => document.querySelector('#history-output').dataset.mode === 'sides'", "the side-by-side diff");
        await WaitAsync(hana, "() => document.querySelector(\"#history-output [data-side='before'] .diff-body\")?.textContent === 'one' && document.querySelector(\"#history-output [data-side='after'] .diff-body\")?.textContent === 'one two' && document.querySelector(\"#history-output [data-side='after'] ins\")?.textContent === ' two'", "then and now side by side");
        await hana.Keyboard.PressAsync("Tab");
        await hana.Keyboard.PressAsync("Tab");
        Assert.Equal("before", await hana.EvaluateAsync<string>("() => document.activeElement.dataset.side ?? ''"));
        await hana.Keyboard.PressAsync("Tab");
        Assert.Equal("after", await hana.EvaluateAsync<string>("() => document.activeElement.dataset.side ?? ''"));
        await hana.ScreenshotAsync(new() { Path = Path.Combine(Shots, "history-side-by-side.png"), FullPage = true });

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

    [Fact]
    public async Task rich_text_history_shows_an_earlier_version_as_html_the_diff_inline_and_side_by_side_and_blame()
    {
        string documentId = await DocumentAsync("rosa", "rich history", ("sami", "editor"));

        var rosa = await OpenAsync("rosa", documentId);
        await rosa.ClickAsync("#rich .tiptap");
        await rosa.Keyboard.TypeAsync("First line");
        await WaitAsync(rosa, "() => document.querySelector('#pending').textContent === 'saved'", "rosa's text to be saved");
        long first = await rosa.EvaluateAsync<long>("() => window.collab.provider.savedSeq");

        // Sami adds a bold second paragraph.
        var sami = await OpenAsync("sami", documentId);
        await sami.ClickAsync("#rich .tiptap");
        await sami.Keyboard.PressAsync("Control+End");
        await sami.Keyboard.PressAsync("Enter");
        await sami.ClickAsync("#rich-toolbar button[aria-label='Bold']");
        await sami.Keyboard.TypeAsync("Second line");
        await WaitAsync(sami, "() => document.querySelector('#pending').textContent === 'saved'", "sami's text to be saved");
        await WaitAsync(rosa, "() => document.querySelector('#rich .tiptap strong')?.textContent === 'Second line'", "rosa to see sami's paragraph");

        // …and a word inside rosa's paragraph.
        await sami.Keyboard.PressAsync("Control+Home");
        for (int i = 0; i < 5; i++)
        {
            await sami.Keyboard.PressAsync("ArrowRight");
        }

        await sami.Keyboard.TypeAsync(" good");
        await WaitAsync(sami, "() => document.querySelector('#pending').textContent === 'saved'", "sami's word to be saved");
        await WaitAsync(rosa, "() => window.collab.rich.getHTML() === '<p>First good line</p><p><strong>Second line</strong></p>'", "rosa to see sami's word");

        // The rich text at the earlier seq, as read-only HTML: one paragraph.
        await rosa.ClickAsync("#history-panel summary");
        await WaitAsync(rosa, $"() => Number(document.querySelector('#history-seq').max) > {first}", "the slider to reach the head");
        await rosa.EvalOnSelectorAsync("#history-seq", "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')) }", first);
        await rosa.SelectOptionAsync("#history-root", "rich");
        await ShowAsync(rosa, "text");
        await WaitAsync(rosa, "() => { const ps = Array.from(document.querySelectorAll('#history-output p')); return document.querySelector('#history-output').dataset.root === 'rich' && ps.length === 1 && ps[0].textContent === 'First line' }", "the earlier rich text as HTML");

        // The diff to now, inline: sami's word inside the first paragraph, and his paragraph inserted, bold.
        await ShowAsync(rosa, "diff");
        await WaitAsync(rosa, "() => document.querySelector('#history-output .ins-block strong')?.textContent === 'Second line' && document.querySelector('#history-output .mod-block ins')?.textContent.trim() === 'good' && document.querySelector('#history-output .mod-block').textContent === 'First good line' && document.querySelector('#history-output .del-block') === null", "the changes in the diff");

        // Side by side: the left column is the earlier version, the right one now with the insertion marked.
        await ShowAsync(rosa, "sides");
        await WaitAsync(rosa, "() => { const col = (s) => document.querySelector(`#history-output [data-side='${s}'] .diff-body`); return col('before')?.textContent === 'First line' && col('after')?.textContent === 'First good lineSecond line' && col('after').querySelector('.ins-block strong')?.textContent === 'Second line' && col('after').querySelector('.mod-block ins')?.textContent.trim() === 'good' }", "the rich diff side by side");
        await rosa.ScreenshotAsync(new() { Path = Path.Combine(Shots, "history-rich-side-by-side.png"), FullPage = true });

        // Blame at the head: each paragraph by who wrote it.
        await rosa.EvalOnSelectorAsync("#history-seq", "(el) => { el.value = el.max; el.dispatchEvent(new Event('input')) }");
        await ShowAsync(rosa, "blame");
        await WaitAsync(rosa, "() => { const by = (a) => Array.from(document.querySelectorAll(`#history-output .blame[data-author='${a}']`)).map((e) => e.textContent).join(''); return by('rosa') === 'First good line' && by('sami') === 'Second line' }", "rich-text blame by author");

        AssertNoConsoleErrors();
    }
}
