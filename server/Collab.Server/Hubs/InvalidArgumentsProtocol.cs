using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Collab.Server.Hubs;

/// <summary>
/// Wraps a hub protocol (JSON, MessagePack) so that an invocation whose arguments cannot be bound to the method's
/// parameters (wrong count or types) is refused with our code <c>invalid</c>, like every other bad argument, instead of
/// SignalR's generic "due to an error on the server". SignalR sends a <see cref="HubException"/>'s message to the
/// caller even without detailed errors, so the binding failure is replaced by one.
/// </summary>
internal sealed class InvalidArgumentsProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message)) return false;
        if (message is InvocationBindingFailureMessage failure)
        {
            var reason = failure.BindingFailure.SourceException is HubException known
                ? known.Message
                : $"The arguments do not match the parameters of '{failure.Target}' (their number or types); see docs/protocol.md.";
            message = new InvocationBindingFailureMessage(failure.InvocationId, failure.Target, ExceptionDispatchInfo.Capture(new HubException("invalid: " + reason)));
        }
        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    /// <summary>Wraps every registered hub protocol. Call after the protocols are added.</summary>
    public static void WrapAll(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IHubProtocol) && services[i].ImplementationType is { } type)
            {
                services[i] = ServiceDescriptor.Singleton<IHubProtocol>(sp => new InvalidArgumentsProtocol((IHubProtocol)ActivatorUtilities.CreateInstance(sp, type)));
            }
        }
    }
}
