using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ring.Soak;

/// <summary>
/// The child side: <c>--child ROLE key=value ...</c>. Every role maps the parent's control block, announces itself in
/// its slot, and reports a failure there (and on stderr) before it exits with a non-zero code.
/// </summary>
internal static class ChildMain
{
    internal static int Run(ReadOnlySpan<string> args)
    {
        NativeMethods.KillMeWhenParentDies();

        // Ctrl+C reaches the whole process group: the parent decides when its children stop (and kills them with SIGKILL).
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, static c => c.Cancel = true);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, static c => c.Cancel = true);
        if (args.Length < 1)
        {
            Console.Error.WriteLine("child: missing role");
            return SoakProgram.UsageError;
        }

        string role = args[0];
        Args settings = Args.ParseSettings(args[1..]);
        using ControlBlock control = ControlBlock.Open(settings.Required("ctl"));
        ControlSlot slot = control.Slot(settings.Int("slot", 0));
        slot.ProcessId = Environment.ProcessId;
        slot.Beat();
        try
        {
            return role switch
            {
                "soak-writer" => SoakChild.RunWriter(settings, control, slot),
                "soak-reader" => SoakChild.RunReader(settings, control, slot),
                "fault-writer" => FaultChild.RunWriter(settings, control, slot),
                "fault-reader" => FaultChild.RunReader(settings, control, slot),
                "fault-mutex" => MutexFaultScenario.RunWorker(settings, control, slot),
                "fuzz-victim" => FuzzVictim.Run(settings, control, slot),
                "fuzz-hostile" => FuzzHostile.Run(settings, control, slot),
                _ => throw new ArgumentException($"unknown child role '{role}'"),
            };
        }
        catch (Exception e)
        {
            slot.SetError($"{role} (pid {Environment.ProcessId}) failed: {e.GetType().Name}: {e.Message}");
            slot.State = SlotState.Failed;
            Console.Error.WriteLine($"{role} (pid {Environment.ProcessId}) failed: {e}");
            return 4;
        }
    }

    /// <summary>The topology settings as child arguments.</summary>
    internal static IEnumerable<string> ToArgs(TopologySettings s)
    {
        yield return Invariant($"capacity={s.Capacity}");
        yield return Invariant($"max={s.MaxMessageLength}");
        yield return "strategy=" + s.WaitStrategy;
        yield return Invariant($"checksums={s.FrameChecksums}");
        yield return Invariant($"liveness-ms={(long)s.LivenessCheckInterval.TotalMilliseconds}");
        yield return Invariant($"writers={s.Writers}");
        yield return Invariant($"readers={s.Readers}");
    }

    internal static TopologySettings FromArgs(Args a) => new(
        a.Long("capacity", 65536),
        a.Int("max", 256),
        Enum.Parse<WaitStrategy>(a.String("strategy", nameof(WaitStrategy.Hybrid)), ignoreCase: true),
        bool.Parse(a.String("checksums", "false")),
        TimeSpan.FromMilliseconds(a.Long("liveness-ms", 100)),
        a.Int("writers", 1),
        a.Int("readers", 1));

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
