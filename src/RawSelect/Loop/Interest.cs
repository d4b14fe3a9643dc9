using System;

namespace RawSelect;

[Flags]
public enum Interest : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}
