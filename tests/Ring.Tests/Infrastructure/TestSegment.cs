using System;
using System.IO;
using System.Threading;

namespace Ring.Tests;

/// <summary>A unique segment name in /dev/shm whose file is removed on dispose, whatever the test did.</summary>
public sealed class TestSegment : IDisposable
{
    private static int s_counter;

    public TestSegment(string? directory = null)
    {
        Directory = directory ?? RingOptions.DefaultDirectory;
        // At most 48 characters; shorter when the pid has few digits.
        string name = $"ringtest-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid():N}";
        Name = name.Length > 48 ? name[..48] : name;
    }

    public string Name { get; }

    public string Directory { get; }

    public string Path => System.IO.Path.Join(Directory, Name);

    public RingOptions Options(long capacity = 4096, int maxMessageLength = 0, WaitStrategy strategy = WaitStrategy.Hybrid) => new()
    {
        Capacity = capacity,
        MaxMessageLength = maxMessageLength,
        WaitStrategy = strategy,
        Directory = Directory,
        OpenTimeout = TimeSpan.FromSeconds(2),
    };

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
    }
}
