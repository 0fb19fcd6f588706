namespace Collab.Crdt.Updates;

/// <summary>
/// The sort V8 (Node 20) runs for <c>Array.prototype.sort</c>: TimSort with binary insertion for short runs and
/// galloping merges, step for step. Any stable sort gives the same result for a consistent comparator; yjs's merge
/// uses one that is not (a GC run and an item at the same id are each "less" than the other), and then only the
/// same algorithm reproduces yjs's order, and so its bytes.
/// </summary>
internal sealed class V8ArraySort<T>
{
    private const int MinGallopWins = 7;

    private readonly Comparison<T> _compare;
    private readonly List<(int Base, int Length)> _runs = [];
    private T[] _temp = [];
    private T[] _a = [];
    private int _minGallop;

    public V8ArraySort(Comparison<T> compare)
    {
        _compare = compare;
    }

    /// <summary>Sorts <paramref name="array"/>[<paramref name="low"/>..<paramref name="high"/>) in place.</summary>
    public void Sort(T[] array, int low, int high)
    {
        int length = high - low;
        if (length < 2)
        {
            return;
        }

        _a = array;
        _runs.Clear();
        _minGallop = MinGallopWins;
        int remaining = length;
        int minRun = MinRunLength(remaining);
        while (remaining != 0)
        {
            int run = CountAndMakeRun(low, low + remaining);
            if (run < minRun)
            {
                int forced = Math.Min(minRun, remaining);
                BinaryInsertionSort(low, low + run, low + forced);
                run = forced;
            }

            _runs.Add((low, run));
            MergeCollapse();
            low += run;
            remaining -= run;
        }

        while (_runs.Count > 1)
        {
            int n = _runs.Count - 2;
            if (n > 0 && _runs[n - 1].Length < _runs[n + 1].Length)
            {
                n--;
            }

            MergeAt(n);
        }

        _a = [];
        Array.Clear(_temp);
    }

    private static int MinRunLength(int n)
    {
        int r = 0;
        while (n >= 64)
        {
            r |= n & 1;
            n >>= 1;
        }

        return n + r;
    }

    private int CountAndMakeRun(int lowArg, int high)
    {
        int low = lowArg + 1;
        if (low == high)
        {
            return 1;
        }

        int run = 2;
        var previous = _a[low];
        bool descending = _compare(_a[low], _a[low - 1]) < 0;
        for (int i = low + 1; i < high; i++)
        {
            int order = _compare(_a[i], previous);
            if (descending ? order >= 0 : order < 0)
            {
                break;
            }

            previous = _a[i];
            run++;
        }

        if (descending)
        {
            Array.Reverse(_a, lowArg, run);
        }

        return run;
    }

    private void BinaryInsertionSort(int low, int startArg, int high)
    {
        int start = low == startArg ? startArg + 1 : startArg;
        for (; start < high; start++)
        {
            var pivot = _a[start];
            int left = low;
            int right = start;
            while (left < right)
            {
                int mid = left + ((right - left) >> 1);
                if (_compare(pivot, _a[mid]) < 0)
                {
                    right = mid;
                }
                else
                {
                    left = mid + 1;
                }
            }

            Array.Copy(_a, left, _a, left + 1, start - left);
            _a[left] = pivot;
        }
    }

    private bool RunInvariantEstablished(int n) =>
        n < 2 || _runs[n - 2].Length > _runs[n - 1].Length + _runs[n].Length;

    private void MergeCollapse()
    {
        while (_runs.Count > 1)
        {
            int n = _runs.Count - 2;
            if (!RunInvariantEstablished(n + 1) || !RunInvariantEstablished(n))
            {
                if (_runs[n - 1].Length < _runs[n + 1].Length)
                {
                    n--;
                }

                MergeAt(n);
            }
            else if (_runs[n].Length <= _runs[n + 1].Length)
            {
                MergeAt(n);
            }
            else
            {
                break;
            }
        }
    }

    private void MergeAt(int i)
    {
        var (baseA, lengthA) = _runs[i];
        var (baseB, lengthB) = _runs[i + 1];
        _runs[i] = (baseA, lengthA + lengthB);
        _runs.RemoveAt(i + 1);

        // Elements of A before where B's first belongs are already in place.
        int k = GallopRight(_a, _a[baseB], baseA, lengthA, 0);
        baseA += k;
        lengthA -= k;
        if (lengthA == 0)
        {
            return;
        }

        // Elements of B after where A's last belongs are already in place.
        lengthB = GallopLeft(_a, _a[baseA + lengthA - 1], baseB, lengthB, lengthB - 1);
        if (lengthB == 0)
        {
            return;
        }

        if (lengthA <= lengthB)
        {
            MergeLow(baseA, lengthA, baseB, lengthB);
        }
        else
        {
            MergeHigh(baseA, lengthA, baseB, lengthB);
        }
    }

    /// <summary>Where <paramref name="key"/> belongs in array[base..base+length), before equal elements.</summary>
    private int GallopLeft(T[] array, T key, int @base, int length, int hint)
    {
        int lastOfs = 0;
        int offset = 1;
        if (_compare(array[@base + hint], key) < 0)
        {
            int maxOfs = length - hint;
            while (offset < maxOfs)
            {
                if (_compare(array[@base + hint + offset], key) >= 0)
                {
                    break;
                }

                lastOfs = offset;
                offset = (offset << 1) + 1;
                if (offset <= 0)
                {
                    offset = maxOfs;
                }
            }

            if (offset > maxOfs)
            {
                offset = maxOfs;
            }

            lastOfs += hint;
            offset += hint;
        }
        else
        {
            int maxOfs = hint + 1;
            while (offset < maxOfs)
            {
                if (_compare(array[@base + hint - offset], key) < 0)
                {
                    break;
                }

                lastOfs = offset;
                offset = (offset << 1) + 1;
                if (offset <= 0)
                {
                    offset = maxOfs;
                }
            }

            if (offset > maxOfs)
            {
                offset = maxOfs;
            }

            int tmp = lastOfs;
            lastOfs = hint - offset;
            offset = hint - tmp;
        }

        lastOfs++;
        while (lastOfs < offset)
        {
            int m = lastOfs + ((offset - lastOfs) >> 1);
            if (_compare(array[@base + m], key) < 0)
            {
                lastOfs = m + 1;
            }
            else
            {
                offset = m;
            }
        }

        return offset;
    }

    /// <summary>Where <paramref name="key"/> belongs in array[base..base+length), after equal elements.</summary>
    private int GallopRight(T[] array, T key, int @base, int length, int hint)
    {
        int lastOfs = 0;
        int offset = 1;
        if (_compare(key, array[@base + hint]) < 0)
        {
            int maxOfs = hint + 1;
            while (offset < maxOfs)
            {
                if (_compare(key, array[@base + hint - offset]) >= 0)
                {
                    break;
                }

                lastOfs = offset;
                offset = (offset << 1) + 1;
                if (offset <= 0)
                {
                    offset = maxOfs;
                }
            }

            if (offset > maxOfs)
            {
                offset = maxOfs;
            }

            int tmp = lastOfs;
            lastOfs = hint - offset;
            offset = hint - tmp;
        }
        else
        {
            int maxOfs = length - hint;
            while (offset < maxOfs)
            {
                if (_compare(key, array[@base + hint + offset]) < 0)
                {
                    break;
                }

                lastOfs = offset;
                offset = (offset << 1) + 1;
                if (offset <= 0)
                {
                    offset = maxOfs;
                }
            }

            if (offset > maxOfs)
            {
                offset = maxOfs;
            }

            lastOfs += hint;
            offset += hint;
        }

        lastOfs++;
        while (lastOfs < offset)
        {
            int m = lastOfs + ((offset - lastOfs) >> 1);
            if (_compare(key, array[@base + m]) < 0)
            {
                offset = m;
            }
            else
            {
                lastOfs = m + 1;
            }
        }

        return offset;
    }

    private T[] Temp(int length)
    {
        if (_temp.Length < length)
        {
            _temp = new T[Math.Max(length, _temp.Length * 2)];
        }

        return _temp;
    }

    /// <summary>Merges adjacent runs A and B front to back, A (the shorter) copied aside.</summary>
    private void MergeLow(int baseA, int lengthA, int baseB, int lengthB)
    {
        var a = _a;
        var temp = Temp(lengthA);
        Array.Copy(a, baseA, temp, 0, lengthA);
        int dest = baseA;
        int cursorTemp = 0;
        int cursorB = baseB;
        a[dest++] = a[cursorB++];
        if (--lengthB == 0)
        {
            goto Succeed;
        }

        if (lengthA == 1)
        {
            goto CopyB;
        }

        int minGallop = _minGallop;
        while (true)
        {
            int winsA = 0;
            int winsB = 0;
            while (true)
            {
                if (_compare(a[cursorB], temp[cursorTemp]) < 0)
                {
                    a[dest++] = a[cursorB++];
                    winsB++;
                    lengthB--;
                    winsA = 0;
                    if (lengthB == 0)
                    {
                        goto Succeed;
                    }

                    if (winsB >= minGallop)
                    {
                        break;
                    }
                }
                else
                {
                    a[dest++] = temp[cursorTemp++];
                    winsA++;
                    lengthA--;
                    winsB = 0;
                    if (lengthA == 1)
                    {
                        goto CopyB;
                    }

                    if (winsA >= minGallop)
                    {
                        break;
                    }
                }
            }

            minGallop++;
            bool first = true;
            while (winsA >= MinGallopWins || winsB >= MinGallopWins || first)
            {
                first = false;
                minGallop = Math.Max(1, minGallop - 1);
                _minGallop = minGallop;
                winsA = GallopRight(temp, a[cursorB], cursorTemp, lengthA, 0);
                if (winsA > 0)
                {
                    Array.Copy(temp, cursorTemp, a, dest, winsA);
                    dest += winsA;
                    cursorTemp += winsA;
                    lengthA -= winsA;
                    if (lengthA == 1)
                    {
                        goto CopyB;
                    }

                    if (lengthA == 0)
                    {
                        goto Succeed;
                    }
                }

                a[dest++] = a[cursorB++];
                if (--lengthB == 0)
                {
                    goto Succeed;
                }

                winsB = GallopLeft(a, temp[cursorTemp], cursorB, lengthB, 0);
                if (winsB > 0)
                {
                    Array.Copy(a, cursorB, a, dest, winsB);
                    dest += winsB;
                    cursorB += winsB;
                    lengthB -= winsB;
                    if (lengthB == 0)
                    {
                        goto Succeed;
                    }
                }

                a[dest++] = temp[cursorTemp++];
                if (--lengthA == 1)
                {
                    goto CopyB;
                }
            }

            minGallop++;
            _minGallop = minGallop;
        }

    Succeed:
        if (lengthA > 0)
        {
            Array.Copy(temp, cursorTemp, a, dest, lengthA);
        }

        return;

    CopyB:
        // The last element of A belongs at the end of the merge.
        Array.Copy(a, cursorB, a, dest, lengthB);
        a[dest + lengthB] = temp[cursorTemp];
    }

    /// <summary>Merges adjacent runs A and B back to front, B (the shorter) copied aside.</summary>
    private void MergeHigh(int baseA, int lengthA, int baseB, int lengthB)
    {
        var a = _a;
        var temp = Temp(lengthB);
        Array.Copy(a, baseB, temp, 0, lengthB);
        int dest = baseB + lengthB - 1;
        int cursorTemp = lengthB - 1;
        int cursorA = baseA + lengthA - 1;
        a[dest--] = a[cursorA--];
        if (--lengthA == 0)
        {
            goto Succeed;
        }

        if (lengthB == 1)
        {
            goto CopyA;
        }

        int minGallop = _minGallop;
        while (true)
        {
            int winsA = 0;
            int winsB = 0;
            while (true)
            {
                if (_compare(temp[cursorTemp], a[cursorA]) < 0)
                {
                    a[dest--] = a[cursorA--];
                    winsA++;
                    lengthA--;
                    winsB = 0;
                    if (lengthA == 0)
                    {
                        goto Succeed;
                    }

                    if (winsA >= minGallop)
                    {
                        break;
                    }
                }
                else
                {
                    a[dest--] = temp[cursorTemp--];
                    winsB++;
                    lengthB--;
                    winsA = 0;
                    if (lengthB == 1)
                    {
                        goto CopyA;
                    }

                    if (winsB >= minGallop)
                    {
                        break;
                    }
                }
            }

            minGallop++;
            bool first = true;
            while (winsA >= MinGallopWins || winsB >= MinGallopWins || first)
            {
                first = false;
                minGallop = Math.Max(1, minGallop - 1);
                _minGallop = minGallop;
                int k = GallopRight(a, temp[cursorTemp], baseA, lengthA, lengthA - 1);
                winsA = lengthA - k;
                if (winsA > 0)
                {
                    dest -= winsA;
                    cursorA -= winsA;
                    Array.Copy(a, cursorA + 1, a, dest + 1, winsA);
                    lengthA -= winsA;
                    if (lengthA == 0)
                    {
                        goto Succeed;
                    }
                }

                a[dest--] = temp[cursorTemp--];
                if (--lengthB == 1)
                {
                    goto CopyA;
                }

                k = GallopLeft(temp, a[cursorA], 0, lengthB, lengthB - 1);
                winsB = lengthB - k;
                if (winsB > 0)
                {
                    dest -= winsB;
                    cursorTemp -= winsB;
                    Array.Copy(temp, cursorTemp + 1, a, dest + 1, winsB);
                    lengthB -= winsB;
                    if (lengthB == 1)
                    {
                        goto CopyA;
                    }

                    if (lengthB == 0)
                    {
                        goto Succeed;
                    }
                }

                a[dest--] = a[cursorA--];
                if (--lengthA == 0)
                {
                    goto Succeed;
                }
            }

            minGallop++;
            _minGallop = minGallop;
        }

    Succeed:
        if (lengthB > 0)
        {
            Array.Copy(temp, 0, a, dest - (lengthB - 1), lengthB);
        }

        return;

    CopyA:
        // The first element of B belongs at the front of the merge.
        dest -= lengthA;
        cursorA -= lengthA;
        Array.Copy(a, cursorA + 1, a, dest + 1, lengthA);
        a[dest] = temp[cursorTemp];
    }
}
