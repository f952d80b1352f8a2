using System.Collections.Generic;
using System.Text;

namespace Ring.Soak;

/// <summary>A ring's statistics record as counters: every whole-number property, its name in kebab case (TornClaims: torn-claims).</summary>
internal static class StatisticsCounters
{
    internal static IReadOnlyDictionary<string, long> Of(object statistics)
    {
        var counters = new Dictionary<string, long>();
        foreach (System.Reflection.PropertyInfo property in statistics.GetType().GetProperties())
        {
            object? value = property.GetValue(statistics);
            if (value is long or int)
            {
                counters[KebabCase(property.Name)] = System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return counters;
    }

    private static string KebabCase(string name)
    {
        var sb = new StringBuilder();
        foreach (char c in name)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('-');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
