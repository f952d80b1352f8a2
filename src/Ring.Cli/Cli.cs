using System;
using System.CommandLine;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Spectre.Console;

namespace Ring.Cli;

/// <summary>What every command shares: the <c>--dir</c> option, the name argument, error reporting, Ctrl+C, the console.</summary>
internal static class Cli
{
    private static readonly Lazy<IAnsiConsole> s_console = new(CreateConsole);
    private static CancellationTokenSource? s_interrupt;
    private static PosixSignalRegistration? s_sigint;
    private static PosixSignalRegistration? s_sigterm;

    /// <summary>Tables and text on stdout; no colour or cursor movement when stdout is not a terminal (or NO_COLOR is set).</summary>
    internal static IAnsiConsole Out => s_console.Value;

    internal static Option<string> DirectoryOption() => new("--dir")
    {
        Description = "Directory of the segments.",
        DefaultValueFactory = _ => RingOptions.DefaultDirectory,
        HelpName = "DIR",
    };

    internal static Argument<string> NameArgument(string description) => new("NAME") { Description = description };

    /// <summary>Runs a command's body: the library's exceptions become one line on stderr and an exit code.</summary>
    internal static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CommandFailedException e)
        {
            Error(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RingFormatException or RingCorruptedException
            or InvalidOperationException or ArgumentException or TimeoutException or RingPeerDeadException)
        {
            // FileNotFoundException, a live party in the way, a message too long, a ring that breaks a rule: each message names the value.
            Error(MessageOf(e));
            return ExitCodes.Failure;
        }
    }

    /// <summary>An exception's message without the " (Parameter 'x')" and "Actual value was" lines .NET appends: the library's message already names the value.</summary>
    internal static string MessageOf(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: string parameter })
        {
            int newline = message.IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                message = message[..newline].TrimEnd('\r');
            }

            message = message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal);
        }

        return message;
    }

    internal static void Error(string message) => Console.Error.WriteLine($"error: {message}");

    internal static void Warning(string message) => Console.Error.WriteLine($"warning: {message}");

    /// <summary>The directory must exist: a mistyped <c>--dir</c> is named, not taken for an empty directory.</summary>
    internal static string RequireDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"directory '{directory}' (--dir) does not exist.");
        }

        return directory;
    }

    /// <summary>Checks a segment name against the library's rules; a bad one is a usage error naming it.</summary>
    internal static void RequireValidName(string name, string directory)
    {
        try
        {
            RingSegment.Exists(name, directory);
        }
        catch (ArgumentException e)
        {
            throw new CommandFailedException(MessageOf(e), ExitCodes.Usage);
        }
    }

    /// <summary>Cancelled on Ctrl+C (SIGINT) or SIGTERM, which then no longer kill the process: the command stops cleanly and detaches.</summary>
    internal static CancellationToken InterruptToken()
    {
        if (s_interrupt is null)
        {
            s_interrupt = new CancellationTokenSource();
            s_sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            s_sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        }

        return s_interrupt.Token;
    }

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        s_interrupt?.Cancel();
    }

    private static IAnsiConsole CreateConsole()
    {
        bool redirected = Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });

        // Redirected output has no width: give tables room rather than wrapping them at 80 columns.
        if (redirected)
        {
            console.Profile.Width = 200;
        }

        return console;
    }
}
