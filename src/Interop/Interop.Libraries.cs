internal static partial class Interop
{
    /// <summary>Names of the native libraries Ring calls, in one place.</summary>
    internal static class Libraries
    {
        internal const string Libc = "libc";
    }
}
