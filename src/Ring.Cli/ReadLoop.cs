using System;
using System.Threading;

namespace Ring.Cli;

/// <summary>How a read loop ended.</summary>
internal enum ReadEnd
{
    /// <summary>The count asked for was read.</summary>
    Count,

    /// <summary>The writer completed the stream and everything was read.</summary>
    Completed,

    /// <summary>No message within the timeout.</summary>
    TimedOut,

    /// <summary>The writer died without completing; everything it committed was read.</summary>
    WriterDied,
}

/// <summary>The loop <c>tail</c> and <c>recv</c> share: read until a count, the end of the stream, a timeout or Ctrl+C.</summary>
internal static class ReadLoop
{
    internal delegate void MessageHandler(RingMessage message, ReadOnlySpan<byte> payload);

    internal static ReadEnd Run(MessageSource source, long count, TimeSpan timeout, MessageHandler handle, out long read, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[source.MaxMessageLength];
        read = 0;
        while (count == 0 || read < count)
        {
            switch (source.Read(buffer, out RingMessage message, timeout, cancellationToken))
            {
                case ReadStatus.Message:
                    read++;
                    handle(message, buffer.AsSpan(0, message.Length));
                    break;
                case ReadStatus.Completed:
                    return ReadEnd.Completed;
                case ReadStatus.TimedOut:
                    return ReadEnd.TimedOut;
                default:
                    return ReadEnd.WriterDied;
            }
        }

        return ReadEnd.Count;
    }
}
