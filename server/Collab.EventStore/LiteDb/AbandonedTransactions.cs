using System.Collections;
using System.Reflection;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// Keeps LiteDB 5.0.21 from crashing the process after a failed write. A transaction whose commit failed part way (a full
/// disk) has pages that are already in the log's cache; it cannot be rolled back (Rollback fails LiteDB's check
/// "discarded page must be writable"), and when the garbage collector finalizes it, its finalizer makes the same check
/// and throws on the finalizer thread, which ends the process. Such transactions are abandoned here: their finalizers
/// are suppressed. Their pages are not confirmed in the log, so the reopened file does not contain them.
/// </summary>
internal static class AbandonedTransactions
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;

    /// <summary>Suppresses the finalizers of the transactions <paramref name="db"/> still has open; false if LiteDB's internals were not found.</summary>
    public static bool Abandon(LiteDatabase db)
    {
        var engine = typeof(LiteDatabase).GetField("_engine", Instance)?.GetValue(db);
        var monitor = engine?.GetType().GetField("_monitor", Instance)?.GetValue(engine);
        if (monitor?.GetType().GetField("_transactions", Instance)?.GetValue(monitor) is not IDictionary transactions) return false;
        lock (transactions)
        {
            foreach (var transaction in transactions.Values)
            {
                if (transaction is not null) GC.SuppressFinalize(transaction);
            }
        }

        return true;
    }
}
