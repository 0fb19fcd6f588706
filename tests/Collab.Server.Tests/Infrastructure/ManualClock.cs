namespace Collab.Server.Tests.Infrastructure;

/// <summary>
/// A clock that stands still until told to move. It starts at the real time, so that tokens it stamps are valid for the
/// real clock that validates them; elapsed-time measurements (rate limits, log windows) see only <see cref="Advance"/>.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private long _ticks;

    public override DateTimeOffset GetUtcNow() => _start + TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
