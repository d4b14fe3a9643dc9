using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace RawSelect.Tests.Container;

/// <summary>
/// The release's OCI image layout archive read back with .NET's own tar and JSON readers (not
/// the script that wrote it): its entries, the index, and per platform the manifest, the config
/// and the layer.
/// </summary>
public sealed class OciArchive
{
    public sealed record Entry(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, DateTimeOffset MTime, string LinkName, byte[] Data);

    public sealed record Image(string Architecture, JsonElement Platform, string ManifestDigest, JsonElement Manifest,
        JsonElement Config, byte[] LayerGzip, byte[] LayerTar);

    public string Path { get; }
    public List<Entry> Entries { get; }
    public JsonElement Index { get; }
    public JsonElement ImageIndex { get; }
    public Dictionary<string, Image> Images { get; } = new();

    public OciArchive(string path)
    {
        Path = path;
        using FileStream f = System.IO.File.OpenRead(path);
        Entries = ReadTar(f);
        Index = Json(Read("index.json"));
        JsonElement top = Assert.Single(Index.GetProperty("manifests").EnumerateArray());
        ImageIndex = Json(Blob(top));
        foreach (JsonElement m in ImageIndex.GetProperty("manifests").EnumerateArray())
        {
            JsonElement manifest = Json(Blob(m));
            JsonElement layer = Assert.Single(manifest.GetProperty("layers").EnumerateArray());
            byte[] gz = Blob(layer);
            using var unzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            var tar = new MemoryStream();
            unzip.CopyTo(tar);
            string arch = m.GetProperty("platform").GetProperty("architecture").GetString()!;
            Images.Add(arch, new Image(arch, m.GetProperty("platform"), m.GetProperty("digest").GetString()!, manifest,
                Json(Blob(manifest.GetProperty("config"))), gz, tar.ToArray()));
        }
    }

    public byte[] Read(string name) => Entries.Single(e => e.Name == name).Data;

    /// <summary>The blob a descriptor names, checked against the descriptor's digest and size.</summary>
    public byte[] Blob(JsonElement descriptor)
    {
        string digest = descriptor.GetProperty("digest").GetString()!;
        Assert.StartsWith("sha256:", digest);
        byte[] data = Read("blobs/sha256/" + digest["sha256:".Length..]);
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), data.LongLength);
        Assert.Equal(digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data)));
        return data;
    }

    public static List<Entry> ReadTar(Stream s)
    {
        var list = new List<Entry>();
        using var r = new TarReader(s);
        while (r.GetNextEntry(copyData: true) is TarEntry e)
        {
            var data = new MemoryStream();
            e.DataStream?.CopyTo(data);
            list.Add(new Entry(e.Name.TrimEnd('/'), e.EntryType, e.Mode, e.Uid, e.Gid, e.ModificationTime, e.LinkName ?? "", data.ToArray()));
        }
        return list;
    }

    public static JsonElement Json(byte[] data) => JsonDocument.Parse(data).RootElement.Clone();
}
