using System;

namespace Ring.Channels;

/// <summary>The server's request handler threw: the request failed on the other side, which returned the error instead of a response.</summary>
public sealed class RingRemoteException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RingRemoteException(string remoteType, string message)
        : base($"The server's handler threw {remoteType}: {message}")
    {
        RemoteType = remoteType;
        RemoteMessage = message;
    }

    /// <summary>The full name of the exception type the handler threw.</summary>
    public string RemoteType { get; }

    /// <summary>The handler's exception message (cut, with a note saying so, if it did not fit a frame).</summary>
    public string RemoteMessage { get; }
}
