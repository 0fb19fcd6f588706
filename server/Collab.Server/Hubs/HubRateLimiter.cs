using System.Collections.Concurrent;
using Collab.Server.Options;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// The per-user token bucket over hub invocations (ASP.NET Core's rate-limiting middleware sees only the WebSocket
/// upgrade, not the messages inside it). Tokens are refilled from the elapsed time of the host's
/// <see cref="TimeProvider"/> when a user next calls, not by a timer, so that a refusal can say when to retry and tests
/// can drive the clock.
/// </summary>
internal sealed class HubRateLimiter(IOptions<CollabServerOptions> options, TimeProvider time)
{
    // Buckets of users who went quiet long enough to be full again are dropped once the table grows past this.
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private long _lastPrune;

    /// <summary>Users with a bucket (kept per account until full again and the table passes 10,000 entries).</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>Takes one token of <paramref name="user"/>'s bucket; when none is left, says when one will be.</summary>
    public bool TryAcquire(string user, out TimeSpan retryAfter)
    {
        var limits = options.Value.RateLimits;
        var now = time.GetTimestamp();
        if (_buckets.Count > PruneAbove) Prune(now, limits);

        var bucket = _buckets.GetOrAdd(user, static (_, state) => new Bucket(state.Burst, state.Now), (Burst: (double)limits.HubBurst, Now: now));
        lock (bucket)
        {
            bucket.Refill(now, time, limits);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / limits.HubMessagesPerSecond);
            return false;
        }
    }

    private void Prune(long now, RateLimitOptions limits)
    {
        // At most once a second, by one caller: a table of many active users must not be walked on every call.
        var last = Interlocked.Read(ref _lastPrune);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref _lastPrune, now, last) != last) return;
        foreach (var (user, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, time, limits);
                if (bucket.Tokens >= limits.HubBurst) _buckets.TryRemove(user, out _);
            }
        }
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens { get; set; } = tokens;

        private long _stamp = stamp;

        public void Refill(long now, TimeProvider time, RateLimitOptions limits)
        {
            var elapsed = time.GetElapsedTime(_stamp, now).TotalSeconds;
            if (elapsed <= 0) return;
            Tokens = Math.Min(limits.HubBurst, Tokens + (elapsed * limits.HubMessagesPerSecond));
            _stamp = now;
        }
    }
}
