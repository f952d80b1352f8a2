using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Linq;

namespace Ring.Bench;

/// <summary>
/// Cross-process benchmark of Ring against pipes, Unix domain sockets and a bare shared-memory floor. Each cell starts
/// a copy of this program as the child (<c>--child ...</c>, hidden) and measures from the parent.
/// </summary>
public static class Program
{
    private const int UsageError = 2;

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == ChildArgs.Flag)
        {
            return ChildSide.RunChild(args.AsSpan(1));
        }

        var root = new RootCommand(Description);
        Configure(root);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (ParseError error in parsed.Errors)
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }

            Console.Error.WriteLine("Try --help.");
            return UsageError;
        }

        return parsed.Invoke();
    }

    /// <summary>What the harness does, for the help text.</summary>
    internal const string Description = "Ring cross-process benchmark: ping-pong latency, throughput and idle wake-up of Ring against pipes, Unix sockets and a bare shared-memory floor; acquire/release of Ring's SharedMutex against flock(2) and the in-process System.Threading.Lock.";

    /// <summary>Adds the harness's options and action to <paramref name="command"/>: this program's root, or a host's subcommand.</summary>
    internal static void Configure(Command command)
    {
        var transports = new Option<string[]>("--transports", "-t")
        {
            Description = $"Transports, comma-separated: {string.Join(", ", Names.Transports)} (default: all).",
            AllowMultipleArgumentsPerToken = true,
        };
        var scenarios = new Option<string[]>("--scenarios", "-s")
        {
            Description = $"Scenarios, comma-separated: {string.Join(", ", Names.Scenarios)} (default: all).",
            AllowMultipleArgumentsPerToken = true,
        };
        var sizes = new Option<string[]>("--sizes")
        {
            Description = "Message sizes, comma-separated, e.g. 32,1K,64K (default). At least 16 bytes, at most 16M (above 4M only ring-frag, pipe and uds run). ring-frag runs 1M,16M unless given. The lock scenarios have none.",
            AllowMultipleArgumentsPerToken = true,
        };
        var count = new Option<long?>("--count", "-n")
        {
            Description = "Measured messages (round trips for pingpong, the parent's acquire+release pairs for the lock scenarios) per cell. With --count alone, cells are count-bound.",
        };
        var duration = new Option<string?>("--duration", "-d")
        {
            Description = "Measured time per cell, e.g. 2s or 500ms. With --duration alone, cells are time-bound.",
        };
        var warmup = new Option<string?>("--warmup")
        {
            Description = "Warm-up time of pingpong, throughput and lock cells (default 0.25s).",
        };
        var cellTimeout = new Option<string?>("--cell-timeout")
        {
            Description = "Kill a cell's child and fail the cell after this long (default: 20 s plus three times its expected time).",
        };
        var json = new Option<string?>("--json")
        {
            Description = "Also write the results to this file as a JSON array.",
        };
        var markdown = new Option<string?>("--markdown")
        {
            Description = "Also write the Markdown table to this file.",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "Tiny counts and durations: a smoke run whose numbers mean little.",
        };
        var repeat = new Option<int>("--repeat", "-r")
        {
            Description = "Run every cell this many times, in rounds over all cells, and report the run with the median headline figure (p50 latency, or msgs/s for throughput and lock-contended): steadier figures on a noisy machine.",
            DefaultValueFactory = _ => 1,
        };

        var svg = new Option<string?>("--svg")
        {
            Description = "Also write an SVG chart to this file: latency percentiles per transport on a log scale, throughput bars.",
        };
        var renderFrom = new Option<string?>("--render-from")
        {
            Description = "Run nothing: read the results of an earlier run from this JSON file (written by --json) and write the chart given by --svg.",
        };
        var directory = new Option<string>("--dir")
        {
            Description = "Directory of the shared-memory files the cells create (rings, the floor's file, the lock cells' control file).",
            DefaultValueFactory = _ => RingOptions.DefaultDirectory,
        };

        foreach (Option option in new Option[] { transports, scenarios, sizes, count, duration, warmup, cellTimeout, json, markdown, svg, renderFrom, quick, repeat, directory })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            if (result.GetValue(renderFrom) is string from)
            {
                return SvgReport.RenderFromJson(from, result.GetValue(svg));
            }

            var errors = new List<string>();
            List<TransportKind> t = ParseList<TransportKind>(result.GetValue(transports), Names.Transports, "transport", errors, name => Names.TryParseTransport(name, out TransportKind v) ? v : (TransportKind?)null);
            List<ScenarioKind> s = ParseList<ScenarioKind>(result.GetValue(scenarios), Names.Scenarios, "scenario", errors, name => Names.TryParseScenario(name, out ScenarioKind v) ? v : (ScenarioKind?)null);
            List<int> z = ParseSizes(result.GetValue(sizes), errors);
            double? d = ParseSeconds(result.GetValue(duration), "--duration", errors);
            double? w = ParseSeconds(result.GetValue(warmup), "--warmup", errors);
            double? c = ParseSeconds(result.GetValue(cellTimeout), "--cell-timeout", errors);
            long? n = result.GetValue(count);
            if (n is <= 0)
            {
                errors.Add($"--count {n} is invalid: it must be at least 1.");
            }

            int r = result.GetValue(repeat);
            if (r is < 1 or > 100)
            {
                errors.Add($"--repeat {r} is invalid: it must be between 1 and 100.");
            }

            string dir = result.GetValue(directory)!;
            if (!System.IO.Directory.Exists(dir))
            {
                errors.Add($"--dir '{dir}' is invalid: the directory does not exist.");
            }

            if (errors.Count == 0 && !t.Exists(transport => s.Exists(scenario => Names.Fits(transport, scenario))))
            {
                errors.Add($"no cell to run: the lock scenarios ({Names.LockScenarios}) run only with the lock transports ({Names.LockTransports}), the other scenarios only with the other transports.");
            }

            if (errors.Count > 0)
            {
                foreach (string error in errors)
                {
                    Console.Error.WriteLine($"error: {error}");
                }

                return UsageError;
            }

            ShmFloorTransport.Directory = dir;
            var settings = new BenchSettings(t, s, z, result.GetValue(quick), n, d, w, c, result.GetValue(json), result.GetValue(markdown), r)
            {
                SvgPath = result.GetValue(svg),
                SizesGiven = SplitList(result.GetValue(sizes)).Any(),
            };
            return Runner.Run(settings);
        });
    }

    private static IEnumerable<string> SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static List<T> ParseList<T>(string[]? values, string[] valid, string what, List<string> errors, Func<string, T?> parse)
        where T : struct, Enum
    {
        var list = new List<T>();
        foreach (string name in SplitList(values))
        {
            if (parse(name) is T value)
            {
                if (!list.Contains(value))
                {
                    list.Add(value);
                }
            }
            else
            {
                errors.Add($"unknown {what} '{name}'. Valid {what}s: {string.Join(", ", valid)}.");
            }
        }

        if (list.Count == 0 && errors.Count == 0)
        {
            // Not given: all of them.
            list.AddRange(Enum.GetValues<T>());
        }

        // Table order, whatever the order given.
        list.Sort();
        return list;
    }

    private static List<int> ParseSizes(string[]? values, List<string> errors)
    {
        var list = new List<int>();
        foreach (string text in SplitList(values))
        {
            if (!Units.TryParseSize(text, out int size) || size < Payload.MinimumSize || size > BenchSettings.MaxSize)
            {
                errors.Add($"size '{text}' is invalid: give bytes from {Payload.MinimumSize} to 16M, e.g. 32, 1K, 64K.");
            }
            else if (!list.Contains(size))
            {
                list.Add(size);
            }
        }

        if (list.Count == 0 && errors.Count == 0)
        {
            list.AddRange(BenchSettings.DefaultSizes);
        }

        list.Sort();
        return list;
    }

    private static double? ParseSeconds(string? text, string option, List<string> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (Units.TryParseSeconds(text, out double seconds))
        {
            return seconds;
        }

        errors.Add($"{option} '{text}' is invalid: give a positive time such as 2s, 500ms or 1.5 (seconds).");
        return null;
    }
}
