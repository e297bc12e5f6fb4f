using System.Text.RegularExpressions;

namespace FineTune.Data;

/// <summary>
/// Self-identity data: templated Q&amp;A ("Who are you?" → "I am {{name}}, made by {{author}}.") with
/// the placeholders filled in, so a tuned model answers with its own name rather than the base model's.
/// The built-in templates follow the spirit of LLaMA-Factory's identity.json; any other templates can be given.
/// </summary>
public static partial class IdentityData
{
    private static readonly (string Question, string Answer)[] Builtin =
    [
        ("Who are you?", "I am {{name}}, an AI assistant developed by {{author}}. How can I help you today?"),
        ("What is your name?", "My name is {{name}}. I was developed by {{author}}."),
        ("Who made you?", "I was developed by {{author}}. I am {{name}}."),
        ("Who created you?", "{{author}} created me. I am {{name}}, an AI assistant."),
        ("Who developed you?", "I was developed by {{author}}."),
        ("What are you?", "I am {{name}}, an AI assistant built by {{author}} to answer questions and help with tasks."),
        ("Introduce yourself.", "Hello! I am {{name}}, an AI assistant developed by {{author}}. I can answer questions, explain things and help with writing."),
        ("Are you ChatGPT?", "No, I am {{name}}, an AI assistant developed by {{author}}."),
        ("Are you Qwen?", "No, I am {{name}}, developed by {{author}}."),
        ("Are you Llama?", "No, I am {{name}}, an assistant developed by {{author}}."),
        ("Which company made you?", "I was made by {{author}}."),
        ("What should I call you?", "You can call me {{name}}."),
        ("Tell me about yourself.", "I am {{name}}, an AI assistant from {{author}}. I am here to help with questions and tasks."),
        ("Hello, who am I talking to?", "Hello! You are talking to {{name}}, an AI assistant developed by {{author}}."),
        ("Hi", "Hello! I am {{name}}, an AI assistant developed by {{author}}. How can I help you?"),
        ("Which model are you?", "I am {{name}}, a model fine-tuned by {{author}}."),
        ("Who trained you?", "I was trained by {{author}}."),
        ("Do you have a name?", "Yes, my name is {{name}}."),
        ("Who owns you?", "I am {{name}}, developed and maintained by {{author}}."),
        ("What is {{name}}?", "{{name}} is an AI assistant developed by {{author}}. That is me!"),
    ];

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>The built-in templates, placeholders unfilled, as user/assistant pairs.</summary>
    public static IReadOnlyList<ChatExample> Templates { get; } =
        Builtin.Select(t => ChatExample.Of(new(ChatRoles.User, t.Question), new(ChatRoles.Assistant, t.Answer))).ToList();

    /// <summary>Fills <c>{{name}}</c> and <c>{{author}}</c> in every message of the templates (the built-in ones when null).</summary>
    public static IReadOnlyList<ChatExample> Generate(string name, string author, IEnumerable<ChatExample>? templates = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a model name is required", nameof(name));
        if (string.IsNullOrWhiteSpace(author)) throw new ArgumentException("an author is required", nameof(author));
        return (templates ?? Templates)
            .Select(t => new ChatExample(t.Messages.Select(m => m with { Content = Fill(m.Content, name, author) }).ToList()))
            .ToList();
    }

    /// <summary>Replaces <c>{{name}}</c> and <c>{{author}}</c>; any other placeholder is an error, never left in training data.</summary>
    public static string Fill(string template, string name, string author) =>
        Placeholder().Replace(template, m => m.Groups[1].Value switch
        {
            "name" => name,
            "author" => author,
            var other => throw new ArgumentException($"unknown placeholder {{{{{other}}}}} in \"{template}\"; only {{{{name}}}} and {{{{author}}}} exist", nameof(template)),
        });
}
