using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RawSelect.Tests.Loopview;

/// <summary>
/// Headless Chromium driven over the DevTools protocol (a WebSocket on loopback), with nothing
/// downloaded: Debian's chromium package and System.Net.WebSockets. One page; console errors and
/// uncaught exceptions are collected so a test can say there were none. Disposing ends the browser
/// it started, by PID, and deletes its profile.
/// </summary>
public sealed class Chromium : IDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _ws = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private string? _session;
    private int _nextId;

    /// <summary>Console errors, uncaught exceptions and error log entries the page produced.</summary>
    public ConcurrentQueue<string> PageErrors { get; } = new();

    /// <summary>The chromium binary: $RAWSELECT_CHROMIUM, else chromium / chromium-browser on PATH; null if none.</summary>
    public static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("RAWSELECT_CHROMIUM");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            foreach (string name in new[] { "chromium", "chromium-browser" })
            {
                string p = Path.Combine(dir, name);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    private Chromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<Chromium> StartAsync(int width = 1500, int height = 1100)
    {
        string bin = Find() ?? throw new InvalidOperationException("chromium is not installed (scripts/setup.sh --browser installs it)");
        string profile = Directory.CreateTempSubdirectory("loopview-chromium-").FullName;
        var psi = new ProcessStartInfo(bin) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--mute-audio",
            $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            $"--window-size={width},{height}", "about:blank",
        }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var c = new Chromium(p, profile);
        try
        {
            var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stderr = new StringBuilder();
            p.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) { url.TrySetException(new InvalidOperationException("chromium exited: " + stderr)); return; }
                lock (stderr) stderr.AppendLine(e.Data);
                const string mark = "DevTools listening on ";
                int i = e.Data.IndexOf(mark, StringComparison.Ordinal);
                if (i >= 0) url.TrySetResult(e.Data[(i + mark.Length)..].Trim());
            };
            p.BeginErrorReadLine();
            _ = p.StandardOutput.ReadToEndAsync();
            string ws = await url.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await c._ws.ConnectAsync(new Uri(ws), CancellationToken.None);
            _ = Task.Run(c.ReceiveLoop);
            JsonNode? targets = await c.SendAsync("Target.getTargets", null, browser: true);
            string? page = targets!["targetInfos"]!.AsArray().FirstOrDefault(t => (string?)t!["type"] == "page")?["targetId"]?.GetValue<string>();
            page ??= (await c.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, browser: true))!["targetId"]!.GetValue<string>();
            JsonNode? attached = await c.SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = page, ["flatten"] = true }, browser: true);
            c._session = attached!["sessionId"]!.GetValue<string>();
            await c.SendAsync("Page.enable");
            await c.SendAsync("Runtime.enable");
            await c.SendAsync("Log.enable");
            await c.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
            {
                ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false,
            });
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (_ws.State == WebSocketState.Open)
            {
                WebSocketReceiveResult r = await _ws.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                JsonNode? msg = JsonNode.Parse(message.ToArray());
                message.SetLength(0);
                if (msg?["id"] is JsonNode idNode && _pending.TryRemove(idNode.GetValue<int>(), out var tcs))
                {
                    if (msg["error"] is JsonNode err) tcs.TrySetException(new InvalidOperationException("CDP: " + err.ToJsonString()));
                    else tcs.TrySetResult(msg["result"]);
                }
                else if (msg?["method"] is JsonNode m) OnEvent(m.GetValue<string>(), msg["params"]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException) { }
        foreach (var t in _pending.Values) t.TrySetException(new InvalidOperationException("chromium closed the connection"));
    }

    private void OnEvent(string method, JsonNode? p)
    {
        if (method == "Runtime.exceptionThrown")
        {
            PageErrors.Enqueue("exception: " + p?["exceptionDetails"]?.ToJsonString());
        }
        else if (method == "Runtime.consoleAPICalled")
        {
            string type = p?["type"]?.GetValue<string>() ?? "";
            if (type is "error" or "assert") PageErrors.Enqueue("console." + type + ": " + p?["args"]?.ToJsonString());
        }
        else if (method == "Log.entryAdded")
        {
            string level = p?["entry"]?["level"]?.GetValue<string>() ?? "";
            if (level == "error") PageErrors.Enqueue("log: " + p?["entry"]?["text"]?.GetValue<string>());
        }
    }

    public async Task<JsonNode?> SendAsync(string method, JsonObject? parameters = null, bool browser = false, int timeoutSeconds = 60)
    {
        int id = Interlocked.Increment(ref _nextId);
        var msg = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (!browser && _session is not null) msg["sessionId"] = _session;
        var tcs = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        byte[] bytes = Encoding.UTF8.GetBytes(msg.ToJsonString());
        await _ws.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
    }

    /// <summary>Navigates and waits until the page's script has run (body[data-ready]).</summary>
    public async Task OpenAsync(string path)
    {
        await SendAsync("Page.navigate", new JsonObject { ["url"] = new Uri(path).AbsoluteUri });
        await WaitForAsync("document.body && document.body.dataset.ready === '1'", TimeSpan.FromSeconds(20));
    }

    /// <summary>Evaluates an expression in the page (promises awaited) and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvalAsync(string expression)
    {
        JsonNode? r = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true,
        });
        if (r?["exceptionDetails"] is JsonNode ex) throw new InvalidOperationException("page threw: " + ex.ToJsonString());
        return r?["result"]?["value"];
    }

    public async Task<string?> TextAsync(string selector) =>
        (string?)await EvalAsync($"(document.querySelector({JsonSerializer.Serialize(selector)}) || {{}}).textContent");

    public async Task WaitForAsync(string condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (await EvalAsync($"!!({condition})") is JsonNode v && v.GetValue<bool>()) return;
            if (sw.Elapsed > timeout) throw new TimeoutException($"page: {condition} still false after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>Puts a file into an &lt;input type=file&gt; as the file picker would (fires "change").</summary>
    public async Task SetFileAsync(string selector, string file)
    {
        JsonNode? doc = await SendAsync("DOM.getDocument", new JsonObject { ["depth"] = 0 });
        int root = doc!["root"]!["nodeId"]!.GetValue<int>();
        JsonNode? q = await SendAsync("DOM.querySelector", new JsonObject { ["nodeId"] = root, ["selector"] = selector });
        int node = q!["nodeId"]!.GetValue<int>();
        if (node == 0) throw new InvalidOperationException($"no {selector} in the page");
        await SendAsync("DOM.setFileInputFiles", new JsonObject { ["files"] = new JsonArray(Path.GetFullPath(file)), ["nodeId"] = node });
    }

    public async Task MouseMoveAsync(double x, double y) =>
        await SendAsync("Input.dispatchMouseEvent", new JsonObject { ["type"] = "mouseMoved", ["x"] = x, ["y"] = y });

    public async Task KeyAsync(string key, int keyCode)
    {
        foreach (string type in new[] { "rawKeyDown", "keyUp" })
            await SendAsync("Input.dispatchKeyEvent", new JsonObject
            {
                ["type"] = type, ["key"] = key, ["code"] = key, ["windowsVirtualKeyCode"] = keyCode,
            });
    }

    public async Task ScreenshotAsync(string path)
    {
        JsonNode? r = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(r!["data"]!.GetValue<string>()));
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _ws.Abort(); } catch (Exception) { }
        _ws.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // the browser we started and its own children
                _process.WaitForExit(10_000);
            }
        }
        catch (Exception) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (Exception) { }
    }
}
