using CsCheck;
using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Protocol;

/// <summary>Random and mutated protocol messages: decoders throw the format exception or nothing.</summary>
public sealed class ProtocolFuzzTests
{
    private static readonly byte[][] Valid =
    [
        Convert.FromHexString("000003012a02"),
        Convert.FromHexString("00010c01012a000401017402686900"),
        Convert.FromHexString("0138012a01347b2275736572223a7b226e616d65223a22416461222c22636f6c6f72223a2223663030227d2c22637572736f72223a6e756c6c7d"),
        Convert.FromHexString("02000972656164206f6e6c79"),
        [3],
    ];

    private static void Decode(byte[] frame)
    {
        try
        {
            var message = ProviderMessage.Read(frame);
            switch (message.Type)
            {
                case ProviderMessageType.Sync:
                    var sync = message.ReadSync();
                    if (sync.Type == SyncMessageType.SyncStep1)
                    {
                        YUpdate.DecodeStateVector(sync.Payload.Span);
                    }
                    else
                    {
                        YUpdate.Validate(sync.Payload.Span);
                    }

                    break;
                case ProviderMessageType.Awareness:
                    var update = message.ReadAwareness();
                    AwarenessUpdate.Validate(update.Span);
                    using (var awareness = new Awareness(1, new ManualTimeProvider()))
                    {
                        awareness.ApplyUpdate(update.Span, null);
                    }

                    break;
                case ProviderMessageType.Auth:
                    message.ReadAuth();
                    break;
            }
        }
        catch (YjsFormatException)
        {
        }
    }

    [Fact]
    public void mutated_provider_frames_throw_only_the_format_exception()
    {
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Int[0, 200], Gen.Byte, Gen.Int[0, 3]).Sample((which, pos, value, cut) =>
        {
            var frame = (byte[])Valid[which].Clone();
            frame[pos % frame.Length] = value;
            Decode(frame[..Math.Max(0, frame.Length - cut)]);
        }, iter: 5000);
    }

    [Fact]
    public void random_provider_frames_throw_only_the_format_exception() =>
        Gen.Byte.Array[0, 40].Sample(Decode, iter: 5000);
}
