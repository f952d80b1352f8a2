using System;
using System.CommandLine;
using System.IO;
using System.Text;

namespace Ring.Cli;

/// <summary><c>ring recv NAME</c>: reads (consumes) messages and writes their payloads to stdout, for shell scripts.</summary>
internal static class RecvCommand
{
    private static readonly string[] s_formats = ["lines", "raw", "hex"];

    internal static Command Create()
    {
        var directory = Cli.DirectoryOption();
        var name = Cli.NameArgument("The ring's name (or a full path).");
        var count = new Option<long>("--count", "-n") { Description = "Stop after this many messages (0: until the writer completes)." };
        var timeout = new Option<string>("--timeout")
        {
            Description = "Stop when no message arrives for this long, e.g. 5s; with --count, not reaching the count in time is a failure (exit 1).",
            DefaultValueFactory = _ => "infinite",
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "lines: each payload and a newline; raw: the payloads' bytes back to back; hex: each payload as hex and a newline.",
            DefaultValueFactory = _ => "lines",
        };
        format.AcceptOnlyFromAmong(s_formats);
        var command = new Command("recv", "Receive messages and write their payloads to stdout (this process becomes the ring's reader: what it reads, no one else gets). Ends when the writer completes the stream (exit 0), after --count messages (exit 0), after --timeout of silence (exit 0, or 1 if --count was not reached), when the writer dies (exit 1), or on Ctrl+C (exit 130).")
        {
            name, directory, count, timeout, format,
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

            return Run(ring, dir, n, Durations.Parse(result.GetValue(timeout)!, "--timeout"), result.GetValue(format)!);
        }));
        return command;
    }

    private static int Run(string name, string directory, long count, TimeSpan timeout, string format)
    {
        using MessageSource source = MessageSource.Open(name, directory);
        using Stream stdout = Console.OpenStandardOutput();
        byte[] newline = "\n"u8.ToArray();
        ReadEnd end = ReadLoop.Run(source, count, timeout, (message, payload) =>
        {
            if (format == "hex")
            {
                stdout.Write(Encoding.ASCII.GetBytes(Convert.ToHexString(payload).ToLowerInvariant()));
            }
            else
            {
                stdout.Write(payload);
            }

            if (format != "raw")
            {
                stdout.Write(newline);
            }

            stdout.Flush();
        }, out long read, Cli.InterruptToken());

        if (end == ReadEnd.TimedOut && count > 0)
        {
            Cli.Error($"ring '{name}': no message within {timeout.TotalSeconds:0.###} s after {read} of {count} message(s).");
            return ExitCodes.Failure;
        }

        return end == ReadEnd.WriterDied ? TailCommand.Finish(name, end, read) : ExitCodes.Ok;
    }
}
