using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace Ring.Benchmarks;

/// <summary>
/// In-process costs of the rings' operations, with the memory diagnoser and a System.Threading.Channels baseline.
/// BenchmarkDotNet's own command line: <c>--filter '*'</c> runs everything, <c>--job short</c> a quick look.
/// </summary>
public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default));
}
