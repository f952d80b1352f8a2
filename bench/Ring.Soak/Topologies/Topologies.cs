using System;
using System.Collections.Generic;
using System.Linq;

namespace Ring.Soak;

/// <summary>Every topology the harnesses know, by name. A new ring kind is one class added here.</summary>
internal static class Topologies
{
    internal static IReadOnlyList<IRingTopology> All { get; } =
    [
        new OneToOneTopology(),
        new ManyToOneTopology(),
        new BroadcastTopology(),
        new ManyToManyTopology(),
        new SemaphoreQueueTopology(),
    ];

    internal static IRingTopology Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown topology '{name}': known are {string.Join(", ", All.Select(t => t.Name))}");
}
