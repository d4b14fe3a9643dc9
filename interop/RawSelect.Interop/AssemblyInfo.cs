using System.Runtime.CompilerServices;

// Every native signature here is blittable: pointers, ints and structs laid out as C lays them.
// Disabling runtime marshalling makes that a compile-time promise rather than a hope.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("RawSelect.Tests")]
