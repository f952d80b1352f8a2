using System;
using System.CommandLine;
using System.Globalization;

namespace Ring.Cli;

/// <summary><c>ring tail NAME</c>: prints messages as they arrive, one line each.</summary>
internal static class TailCommand
{
    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var name = Cli.NameArgument("The ring's name (or a full path).");
        var consume = new Option<bool>("--consume")
        {
            Description = "Read even where reading consumes: a one-to-one or many-to-one ring has one reader and a many-to-many ring's readers compete, so what tail prints, the ring's readers never get. Required for such rings.",
        };
        var count = new Option<long>("--count", "-n") { Description = "Stop after this many messages (0: no limit)." };
        var timeout = new Option<string>("--timeout")
        {
            Description = "Stop when no message arrives for this long, e.g. 10s (default: wait until the writer completes, or Ctrl+C).",
            DefaultValueFactory = _ => "infinite",
        };
        var hex = new Option<bool>("--hex") { Description = "Print every payload as hex (default: text when it is printable UTF-8, else hex)." };
        var command = new Command("tail", "Print messages as they arrive: time, type, length and payload (text, or hex). Without consuming them where the ring kind allows; a one-to-one, many-to-one or many-to-many ring's messages can only be read by taking them from its reader(s), so tail refuses such a ring unless --consume is given. Slot rings (typed values) are refused. Ends when the writer completes (exit 0), when it dies (exit 1), after --count messages or --timeout of silence (exit 0), or on Ctrl+C (exit 130).")
        {
            name, directory, consume, count, timeout, hex,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            string dir = Cli.RequireDirectory(result.GetValue(directory)!);
            string ring = result.GetValue(name)!;
            Cli.RequireValidName(ring, dir);
            long n = result.GetValue(count);
            if (n < 0)
            {
                throw new CommandFailedException($"--count {n} is invalid: it must be 0 (no limit) or more.", ExitCodes.Usage);
            }

            TimeSpan wait = Durations.Parse(result.GetValue(timeout)!, "--timeout");
            return Run(ring, dir, result.GetValue(consume), n, wait, result.GetValue(hex));
        }));
        return command;
    }

    private static int Run(string name, string directory, bool consume, long count, TimeSpan timeout, bool hex)
    {
        using MessageSource source = MessageSource.Open(name, directory);
        if (source.Consumes)
        {
            if (!consume)
            {
                throw new CommandFailedException(
                    $"ring '{name}' {source.ConsumeReason}, so tailing it would take the messages from the real readers. Give --consume to read and consume them anyway, or use 'ring recv'.",
                    ExitCodes.Usage);
            }

            Console.Error.WriteLine($"notice: tailing ring '{name}' CONSUMES its messages: this process is now {source.ReaderRole}, and the messages it prints are gone from the ring.");
        }

        ReadEnd end = ReadLoop.Run(source, count, timeout, (message, payload) =>
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.Now:HH:mm:ss.fff}  type {message.Type}  {message.Length} B  {Format.Payload(payload, hex)}"));
            Console.Out.Flush();
        }, out long read, Cli.InterruptToken());
        return Finish(name, end, read);
    }

    /// <summary>Says on stderr how the stream ended; a writer that died is a failure.</summary>
    internal static int Finish(string name, ReadEnd end, long read)
    {
        switch (end)
        {
            case ReadEnd.Completed:
                Console.Error.WriteLine($"ring '{name}' completed: end of stream after {read} message(s).");
                return ExitCodes.Ok;
            case ReadEnd.WriterDied:
                Cli.Error($"the writer of ring '{name}' died without completing it; every message it committed was read ({read} here).");
                return ExitCodes.Failure;
            default:
                return ExitCodes.Ok;
        }
    }
}
