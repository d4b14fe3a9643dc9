using System;

namespace RawSelect;

/// <summary>A failed system call that the server cannot serve around: carries errno and strerror.</summary>
public sealed class NativeException : Exception
{
    public int Errno { get; }
    public string Operation { get; }

    public NativeException(string operation, int errno, string text)
        : base($"{operation}: {Interop.Errno.Name(errno) ?? "errno " + errno} ({text})")
    {
        Operation = operation;
        Errno = errno;
    }
}
