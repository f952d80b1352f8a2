using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Text;
using System.Threading;

namespace Ring.Cli;

/// <summary><c>ring send NAME</c>: writes messages from the arguments, from files, or from stdin lines.</summary>
internal static class SendCommand
{
    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var name = Cli.NameArgument("The ring's name (or a full path).");
        var messages = new Argument<string[]>("MESSAGE")
        {
            Description = "Messages to send, one per argument (UTF-8). Without messages and --file, each line of stdin is one message.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var files = new Option<string[]>("--file")
        {
            Description = "Send this file's whole content as one message ('-' for all of stdin); repeat for several.",
            HelpName = "FILE",
        };
        var type = new Option<int>("--type", "-t") { Description = "The messages' type (0 or more)." };
        var timeout = new Option<string>("--timeout")
        {
            Description = "How long to wait for room when the ring is full, e.g. 5s, or 'infinite'; past it the command fails (exit 1).",
            DefaultValueFactory = _ => "5s",
        };
        var complete = new Option<bool>("--complete") { Description = "Complete the ring after sending: its reader sees the end of the stream." };
        var create = new Option<bool>("--create") { Description = "Create the ring if it does not exist (with --kind, --capacity and --max-message-length)." };
        var kind = new Option<string>("--kind")
        {
            Description = "With --create: the kind of ring to make.",
            DefaultValueFactory = _ => MessageSink.CreatableKinds[0],
        };
        kind.AcceptOnlyFromAmong(MessageSink.CreatableKinds);
        var capacity = new Option<string>("--capacity")
        {
            Description = "With --create: the ring's capacity, a power of two from 64 bytes to 1G, e.g. 64K, 1M.",
            DefaultValueFactory = _ => "1M",
        };
        var maxLength = new Option<string?>("--max-message-length") { Description = "With --create: the longest payload (default: capacity / 8)." };
        var command = new Command("send", "Send messages to a ring (this process becomes a writer while it sends): from the arguments, from files (--file), or one per line of stdin. Waits up to --timeout for room when the ring is full.")
        {
            name, messages, directory, files, type, timeout, complete, create, kind, capacity, maxLength,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            string dir = Cli.RequireDirectory(result.GetValue(directory)!);
            string ring = result.GetValue(name)!;
            Cli.RequireValidName(ring, dir);
            int t = result.GetValue(type);
            if (t < 0)
            {
                throw new CommandFailedException($"--type {t} is invalid: a message type must be 0 or more (negative types are reserved).", ExitCodes.Usage);
            }

            var options = new RingOptions { Directory = dir, OpenTimeout = TimeSpan.FromSeconds(2) };
            bool creating = result.GetValue(create);
            if (creating)
            {
                SetSizes(options, result.GetValue(capacity)!, result.GetValue(maxLength));
            }

            string[] texts = result.GetValue(messages) ?? [];
            string[] paths = result.GetValue(files) ?? [];
            TimeSpan wait = Durations.Parse(result.GetValue(timeout)!, "--timeout");
            return Run(ring, options, creating ? result.GetValue(kind) : null, Sources(texts, paths), t, wait, result.GetValue(complete));
        }));
        return command;
    }

    private static int Run(string name, RingOptions options, string? createKind, IEnumerable<byte[]> messages, int type, TimeSpan timeout, bool complete)
    {
        CancellationToken stop = Cli.InterruptToken();
        using MessageSink ring = Open(name, options, createKind);
        long sent = 0;
        foreach (byte[] message in messages)
        {
            if (!ring.TryWrite(message, type, timeout, stop))
            {
                throw new CommandFailedException($"ring '{name}' stayed full for {timeout.TotalSeconds:0.###} s (--timeout): {sent} message(s) were sent, the rest were not.");
            }

            sent++;
        }

        if (complete)
        {
            ring.Complete();
        }

        return ExitCodes.Ok;
    }

    private static MessageSink Open(string name, RingOptions options, string? createKind)
    {
        if (createKind is not null)
        {
            return MessageSink.Create(name, createKind, options);
        }

        if (!RingSegment.Exists(name, options.Directory))
        {
            throw new CommandFailedException($"segment '{name}' does not exist in '{options.Directory}' (--create makes it).");
        }

        return MessageSink.Open(name, options);
    }

    /// <summary>The arguments, then the files; stdin lines when there are neither. Files are read as they are sent.</summary>
    private static IEnumerable<byte[]> Sources(string[] texts, string[] paths)
    {
        foreach (string text in texts)
        {
            yield return Encoding.UTF8.GetBytes(text);
        }

        foreach (string path in paths)
        {
            yield return ReadFile(path);
        }

        if (texts.Length == 0 && paths.Length == 0)
        {
            using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            while (stdin.ReadLine() is string line)
            {
                yield return Encoding.UTF8.GetBytes(line);
            }
        }
    }

    private static byte[] ReadFile(string path)
    {
        if (path == "-")
        {
            using var buffer = new MemoryStream();
            using Stream stdin = Console.OpenStandardInput();
            stdin.CopyTo(buffer);
            return buffer.ToArray();
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"cannot read --file '{path}': {e.Message}");
        }
    }

    private static void SetSizes(RingOptions options, string capacity, string? maxLength)
    {
        long c = ParseSize(capacity, "--capacity");
        try
        {
            options.Capacity = c;
        }
        catch (ArgumentException e)
        {
            throw new CommandFailedException($"--capacity '{capacity}' is invalid: {Cli.MessageOf(e)}", ExitCodes.Usage);
        }

        if (maxLength is not null)
        {
            try
            {
                options.MaxMessageLength = (int)Math.Min(int.MaxValue, ParseSize(maxLength, "--max-message-length"));
            }
            catch (ArgumentException e)
            {
                throw new CommandFailedException($"--max-message-length '{maxLength}' is invalid: {Cli.MessageOf(e)}", ExitCodes.Usage);
            }
        }
    }

    private static long ParseSize(string text, string option)
    {
        string s = text.Trim().ToUpperInvariant();
        long multiplier = 1;
        foreach ((string suffix, long value) in new (string, long)[] { ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1) })
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = value;
                s = s[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) || n > (1L << 40) / multiplier)
        {
            throw new CommandFailedException($"{option} '{text}' is invalid: give bytes such as 4096, 64K or 1M.", ExitCodes.Usage);
        }

        return n * multiplier;
    }
}
