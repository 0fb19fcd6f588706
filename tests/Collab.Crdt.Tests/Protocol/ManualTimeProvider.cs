namespace Collab.Crdt.Tests.Protocol;

/// <summary>A clock that moves only when told to, and fires the timers that fall due on the way.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public int ActiveTimers => _timers.Count(static t => !t.Disposed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, _now + dueTime, period);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>Moves time forward in steps of at most one second, firing due timers as it goes.</summary>
    public void Advance(TimeSpan by)
    {
        var target = _now + by;
        while (_now < target)
        {
            var step = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, (target - _now).Ticks));
            _now += step;
            foreach (var timer in _timers.ToArray())
            {
                timer.FireIfDue(_now);
            }
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, DateTimeOffset due, TimeSpan period) : ITimer
    {
        private DateTimeOffset _due = due;

        public bool Disposed { get; private set; }

        public void FireIfDue(DateTimeOffset now)
        {
            while (!Disposed && _due <= now)
            {
                _due = period > TimeSpan.Zero ? _due + period : DateTimeOffset.MaxValue;
                callback(state);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan newPeriod) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
