using System.Buffers.Binary;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>Layout of branches, documents, snapshots, merge and resolution records.</summary>
internal static partial class Bson
{
    public static BsonDocument Document(DocumentInfo info) => new()
    {
        [Id] = DocumentKey(info.Id),
        ["by"] = info.CreatedBy,
        ["t"] = Millis(info.CreatedAt),
    };

    public static DocumentInfo Document(BsonDocument doc)
    {
        var id = new DocumentId(System.Text.Encoding.UTF8.GetString(doc[Id].AsBinary));
        return new DocumentInfo(id, doc["by"].AsString, Time(doc["t"]), EventChain.Genesis(id));
    }

    /// <summary>Branch metadata only: the head is not stored but found from the last event, so it can never disagree with the events.</summary>
    public static BsonDocument Branch(int number, BranchInfo info) => new()
    {
        [Id] = BranchKey(info.Ref),
        ["n"] = number,
        ["p"] = Text(info.Parent?.Branch.Value),
        ["f"] = info.ForkSeq.Value,
        ["fh"] = Hash(info.ForkHash),
        ["by"] = info.CreatedBy,
        ["t"] = Millis(info.CreatedAt),
        ["st"] = (int)info.State,
    };

    /// <summary>The branch without its head (the caller fills it in).</summary>
    public static (int Number, BranchInfo Info) Branch(BranchRef branch, BsonDocument doc)
    {
        var parent = Text(doc, "p");
        var forkSeq = new EventSeq(doc["f"].AsInt64);
        var forkHash = Hash(doc["fh"]);
        var info = new BranchInfo(
            branch,
            parent is null ? null : new BranchRef(branch.Document, new BranchName(parent)),
            forkSeq,
            forkHash,
            doc["by"].AsString,
            Time(doc["t"]),
            forkSeq,
            forkHash,
            (BranchState)doc["st"].AsInt32);
        return (doc["n"].AsInt32, info);
    }

    /// <summary>
    /// A snapshot as one document when its state fits in <paramref name="partBytes"/>, else as a head document (the first
    /// piece, the piece count "p", the total length "n" and a random generation "g") and further pieces in
    /// <see cref="SnapshotParts"/> that carry the same generation, so that a reader can tell a piece of a rewritten
    /// snapshot from its own. Every stored document stays within the payload limit.
    /// </summary>
    public static (BsonDocument Head, List<BsonDocument> Parts) Snapshot(int number, Snapshot snapshot, int partBytes)
    {
        var state = snapshot.State;
        var head = new BsonDocument
        {
            [Id] = EventKey(number, snapshot.Seq.Value),
            ["s"] = Array(state.Length <= partBytes ? state : state[..partBytes]),
            ["h"] = Hash(snapshot.Hash),
            ["f"] = snapshot.FormatVersion,
            ["t"] = Millis(snapshot.CreatedAt),
        };
        var parts = new List<BsonDocument>();
        if (state.Length <= partBytes) return (head, parts);

        var count = (state.Length + partBytes - 1) / partBytes;
        var generation = Random.Shared.NextInt64();
        head["p"] = count;
        head["n"] = state.Length;
        head["g"] = generation;
        for (var i = 1; i < count; i++)
        {
            var start = i * partBytes;
            parts.Add(new BsonDocument
            {
                [Id] = SnapshotPartKey(number, snapshot.Seq.Value, i),
                ["g"] = generation,
                ["s"] = state.Slice(start, Math.Min(partBytes, state.Length - start)).ToArray(),
            });
        }
        return (head, parts);
    }

    /// <summary>Snapshot key ‖ piece number (u32 BE); a snapshot's pieces are one ordered range.</summary>
    public static byte[] SnapshotPartKey(int branchNumber, long seq, int part)
    {
        var key = new byte[16];
        EventKey(branchNumber, seq).CopyTo(key, 0);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(12), (uint)part);
        return key;
    }

    /// <summary>
    /// Reads a snapshot back; <paramref name="part"/> loads a further piece by key. Null when a piece is missing or
    /// belongs to another generation (the snapshot was rewritten meanwhile): the caller reads the head again.
    /// </summary>
    public static Snapshot? Snapshot(BranchRef owner, BsonDocument doc, Func<byte[], BsonDocument?> part)
    {
        var key = doc[Id].AsBinary;
        var seq = SeqOf(key);
        var first = doc["s"].AsBinary;
        byte[] state;
        if (!doc.ContainsKey("p"))
        {
            state = first;
        }
        else
        {
            var count = doc["p"].AsInt32;
            var generation = doc["g"].AsInt64;
            state = new byte[doc["n"].AsInt32];
            first.CopyTo(state, 0);
            var offset = first.Length;
            for (var i = 1; i < count; i++)
            {
                var piece = part(SnapshotPartKey(BranchNumberOf(key), seq, i));
                if (piece is null || piece["g"].AsInt64 != generation) return null;
                var bytes = piece["s"].AsBinary;
                if (offset + bytes.Length > state.Length) return null;
                bytes.CopyTo(state, offset);
                offset += bytes.Length;
            }
            if (offset != state.Length) return null;
        }
        return new Snapshot(owner, new EventSeq(seq), Hash(doc["h"]), state, doc["f"].AsInt32, Time(doc["t"]));
    }

    public static BsonDocument Merge(int number, MergeRecord merge)
    {
        var conflicts = new BsonArray();
        foreach (var c in merge.Conflicts)
        {
            conflicts.Add(new BsonDocument
            {
                ["i"] = c.Id,
                ["k"] = c.Kind,
                ["l"] = c.Location,
                ["b"] = Text(c.Base),
                ["o"] = Text(c.Ours),
                ["th"] = Text(c.Theirs),
                ["m"] = Text(c.Merged),
                ["ao"] = c.AutomaticOutcome,
                ["pr"] = Properties(c.Properties),
            });
        }

        return new BsonDocument
        {
            [Id] = EventKey(number, merge.Event.Seq.Value),
            ["h"] = Hash(merge.EventHash),
            ["tg"] = Digest(merge.TargetHead),
            ["src"] = Digest(merge.Source),
            ["base"] = Digest(merge.Base),
            ["c"] = conflicts,
            ["a"] = merge.Author,
            ["t"] = Millis(merge.RecordedAt),
            ["pr"] = Properties(merge.Properties),
        };
    }

    public static MergeRecord Merge(BranchRef owner, BsonDocument doc)
    {
        var conflicts = new List<MergeConflict>();
        foreach (var value in doc["c"].AsArray)
        {
            var c = value.AsDocument;
            conflicts.Add(new MergeConflict(c["i"].AsString, c["k"].AsString, c["l"].AsString, Text(c, "b"), Text(c, "o"), Text(c, "th"), Text(c, "m"), c["ao"].AsString)
            {
                Properties = Properties(c["pr"]),
            });
        }

        var document = owner.Document;
        return new MergeRecord(
            new EventRef(owner, new EventSeq(SeqOf(doc[Id].AsBinary))),
            Hash(doc["h"]),
            Digest(document, doc["tg"]),
            Digest(document, doc["src"]),
            Digest(document, doc["base"]),
            conflicts,
            doc["a"].AsString,
            Time(doc["t"]),
            Properties(doc["pr"]));
    }

    public static BsonDocument Resolution(int number, byte[] mergeKey, ResolutionRecord resolution)
    {
        var decisions = new BsonArray();
        foreach (var d in resolution.Decisions)
        {
            decisions.Add(new BsonDocument { ["i"] = d.ConflictId, ["c"] = d.Choice, ["x"] = Text(d.CustomText), ["pr"] = Properties(d.Properties) });
        }

        return new BsonDocument
        {
            [Id] = EventKey(number, resolution.Event.Seq.Value),
            ["h"] = Hash(resolution.EventHash),
            ["m"] = mergeKey,
            ["mb"] = resolution.Merge.Branch.Branch.Value,
            ["rb"] = resolution.Event.Branch.Branch.Value,
            ["d"] = decisions,
            ["a"] = resolution.Author,
            ["t"] = Millis(resolution.RecordedAt),
        };
    }

    public static ResolutionRecord Resolution(DocumentId document, BsonDocument doc)
    {
        var decisions = new List<ConflictDecision>();
        foreach (var value in doc["d"].AsArray)
        {
            var d = value.AsDocument;
            decisions.Add(new ConflictDecision(d["i"].AsString, d["c"].AsString, Text(d, "x")) { Properties = Properties(d["pr"]) });
        }

        var owner = new BranchRef(document, new BranchName(doc["rb"].AsString));
        var merge = new EventRef(new BranchRef(document, new BranchName(doc["mb"].AsString)), new EventSeq(SeqOf(doc["m"].AsBinary)));
        return new ResolutionRecord(new EventRef(owner, new EventSeq(SeqOf(doc[Id].AsBinary))), Hash(doc["h"]), merge, decisions, doc["a"].AsString, Time(doc["t"]));
    }
}
