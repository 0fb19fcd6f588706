using Collab.Crdt.Updates;

namespace Collab.Crdt.Tests.Updates;

/// <summary>Our port of V8's TimSort against what Node 20 returned (v8-sort-cases.txt.gz, written by v8-sort-cases.mjs).</summary>
public sealed class V8ArraySortTests
{
    private static int Compare((int Key, char Kind, int Index) a, (int Key, char Kind, int Index) b) =>
        a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Kind == b.Kind ? 0 : a.Kind == 'S' ? 1 : -1;

    [Fact]
    public void sorting_with_an_inconsistent_comparator_gives_v8s_order()
    {
        var sorter = new V8ArraySort<(int Key, char Kind, int Index)>(Compare);
        using var text = UpdatesTestData.OpenGzip("v8-sort-cases.txt.gz");
        int cases = 0;
        var failures = new List<int>();
        while (text.ReadLine() is { Length: > 0 } line)
        {
            var parts = line.Split('|');
            var items = parts[0].Split(' ').Select((e, i) => (Key: int.Parse(e[..^1], System.Globalization.CultureInfo.InvariantCulture), Kind: e[^1], Index: i)).ToArray();
            var expected = parts[1].Split(' ').Select(static e => int.Parse(e, System.Globalization.CultureInfo.InvariantCulture));
            sorter.Sort(items, 0, items.Length);
            if (!items.Select(static e => e.Index).SequenceEqual(expected))
            {
                failures.Add(cases);
            }

            cases++;
        }

        Assert.Equal(250, cases);
        Assert.Empty(failures);
    }

    [Fact]
    public void a_consistent_comparator_gives_a_stable_sort()
    {
        var sorter = new V8ArraySort<(int Key, int Index)>(static (a, b) => a.Key.CompareTo(b.Key));
        var random = new Random(3);
        for (int n = 0; n < 400; n += 7)
        {
            var items = Enumerable.Range(0, n).Select(i => (Key: random.Next(10), Index: i)).ToArray();
            var expected = items.OrderBy(static e => e.Key).ToArray();
            sorter.Sort(items, 0, items.Length);
            Assert.Equal(expected, items);
        }
    }
}
