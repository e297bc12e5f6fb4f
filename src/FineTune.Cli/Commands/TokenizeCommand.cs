using System.CommandLine;
using System.Text.Json;
using FineTune.Models.Chat;
using FineTune.Models.Tokenization;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune tokenize --model DIR [--json] TEXT` prints the ids of TEXT (no special tokens added);
/// `finetune tokenize --model DIR --chat FILE.json [--template NAME]` renders a messages array with the chat
/// template and the generation prompt, and prints its ids. DIR needs tokenizer.json (and tokenizer_config.json
/// for bos/eos and the chat template). The chosen template and why go to stderr.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var text = new Argument<string?>("text") { Description = "Text to tokenize.", Arity = ArgumentArity.ZeroOrOne };
        var model = new Option<string>("--model") { Description = "Model folder with tokenizer.json and tokenizer_config.json.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...]} instead of space-separated ids." };
        var chat = new Option<string?>("--chat") { Description = "JSON file with a messages array ([{\"role\", \"content\"}]) to render with the chat template." };
        var template = new Option<string?>("--template") { Description = $"Chat template override ({string.Join(", ", ChatTemplateDetector.OverrideNames)})." };
        var special = new Option<bool>("--add-special-tokens") { Description = "Apply the tokenizer's post-processor (e.g. prepend BOS) to TEXT." };

        var command = new Command("tokenize", "Print the token ids of a text, or of a chat rendered with the model's template.");
        command.Arguments.Add(text);
        foreach (var option in new Option[] { model, json, chat, template, special })
            command.Options.Add(option);

        command.SetAction(pr =>
        {
            var stdout = pr.InvocationConfiguration.Output;
            var stderr = pr.InvocationConfiguration.Error;
            var input = pr.GetValue(text);
            var chatFile = pr.GetValue(chat);
            if ((input is null) == (chatFile is null))
            {
                stderr.WriteLine("finetune tokenize: give either TEXT or --chat FILE.json.");
                return ExitCodes.Usage;
            }
            try
            {
                var tokenizer = Tokenizer.Load(pr.GetValue(model)!);
                int[] ids;
                if (chatFile is not null)
                {
                    var chatTemplate = ChatTemplate.ForTokenizer(tokenizer, pr.GetValue(template));
                    stderr.WriteLine($"template: {chatTemplate.Choice}");
                    ids = chatTemplate.Render(ReadMessages(chatFile), addGenerationPrompt: true).ids;
                }
                else
                {
                    ids = tokenizer.Encode(input!, pr.GetValue(special));
                }
                stdout.WriteLine(pr.GetValue(json) ? JsonSerializer.Serialize(new { ids }) : string.Join(' ', ids));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is TokenizerFormatException or ChatTemplateException or IOException or JsonException
                                          or ArgumentException or InvalidDataException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"finetune tokenize: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    /// <summary>A JSON array of {role, content}, or an object with such a "messages" array.</summary>
    private static List<(string role, string content)> ReadMessages(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var array = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("messages", out var m)
            ? m : doc.RootElement;
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: expected a JSON array of messages (or an object with \"messages\")");
        var messages = new List<(string, string)>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: message {messages.Count} needs string \"role\" and \"content\"");
            messages.Add((role.GetString()!, content.GetString()!));
        }
        return messages;
    }
}
