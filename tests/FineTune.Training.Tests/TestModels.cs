using FineTune.Data;
using FineTune.Models.Checkpoints;
using FineTune.Models.Transformer;

namespace FineTune.Training.Tests;

internal static class TestModels
{
    public static string Tiny(TempDir dir, string family, ulong seed = 0)
    {
        var config = family == "qwen2" ? ModelPresets.TinyQwen2 : ModelPresets.TinyLlama;
        var path = dir[$"model-{family}"];
        ModelFolder.Create(path, config, seed);
        return path;
    }

    /// <summary>
    /// 20 short Q&amp;A pairs (the overfit set): each answer copies a word of its question and adds a
    /// looked-up colour and size, so it cannot be learnt without reading the question.
    /// </summary>
    public static List<ChatExample> QaPairs(int n = 20)
    {
        string[] objects = ["apple", "river", "castle", "violin", "garden", "rocket", "pencil", "island", "candle", "mirror",
            "forest", "bridge", "dragon", "window", "tiger", "cloud", "ladder", "button", "planet", "harbor"];
        string[] colours = ["red", "blue", "green", "gold", "gray", "pink", "teal", "plum", "jade", "rust"];
        return Enumerable.Range(0, n).Select(i => ChatExample.Of(
            new ChatMessage("user", $"What color is the {objects[i % objects.Length]}?"),
            new ChatMessage("assistant", $"The {objects[i % objects.Length]} is {colours[i * 3 % 10]} and {(i % 2 == 0 ? "small" : "large")}."))).ToList();
    }

    public static string WriteJsonl(TempDir dir, string name, IEnumerable<ChatExample> examples)
    {
        var path = dir[name];
        File.WriteAllLines(path, examples.Select(ChatJsonl.ToJsonLine));
        return path;
    }
}
