using System;
using System.IO;

namespace Ring.Tests;

/// <summary>A fresh directory under /dev/shm, removed with everything in it on dispose, whatever the test did.</summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Path = Directory.CreateTempSubdirectory($"ringtest-dir-{Environment.ProcessId}-").FullName;
        string shm = System.IO.Path.Join(RingOptions.DefaultDirectory, System.IO.Path.GetFileName(Path));
        Directory.Delete(Path);
        Directory.CreateDirectory(shm);
        Path = shm;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Join(Path, name);

    public RingOptions Options(long capacity = 4096) => new()
    {
        Capacity = capacity,
        Directory = Path,
        OpenTimeout = TimeSpan.FromSeconds(2),
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
