namespace RawSelect.Interop;

/// <summary>The two address families the server speaks; each platform maps them to its AF_ values.</summary>
public enum AddressFamilyKind : byte
{
    Unspecified = 0,
    IPv4 = 4,
    IPv6 = 6,
}
