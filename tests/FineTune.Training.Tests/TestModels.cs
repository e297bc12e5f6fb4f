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
    /// 20 short Q&amp;A pairs (the overfit set): each answer copies the object named in its question and adds a
    /// looked-up colour and size, so it cannot be learnt without reading the question. No answer hinges on a near
    /// tie: in the tiny tokenizer every object starts with its own token (no "castle"/"candle" pair that shares
    /// "Ġc" and then differs by "a"/"an"), and so does every colour and size.
    /// </summary>
    public static List<ChatExample> QaPairs(int n = 20)
    {
        string[] objects = ["apple", "bridge", "candle", "dragon", "eagle", "forest", "garden", "harbor", "ladder", "mirror",
            "needle", "orange", "pencil", "queen", "saddle", "tiger", "window", "yacht", "igloo", "anchor"];
        string[] colours = ["red", "blue", "gold", "pink", "teal"];
        return Enumerable.Range(0, n).Select(i => ChatExample.Of(
            new ChatMessage("user", $"What color is the {objects[i % objects.Length]}?"),
            new ChatMessage("assistant", $"The {objects[i % objects.Length]} is {colours[i * 3 % colours.Length]} and {(i % 2 == 0 ? "small" : "large")}."))).ToList();
    }

    public static string WriteJsonl(TempDir dir, string name, IEnumerable<ChatExample> examples)
    {
        var path = dir[name];
        File.WriteAllLines(path, examples.Select(ChatJsonl.ToJsonLine));
        return path;
    }
}
