using FineTune.Torch;
using System.CommandLine;
using FineTune.Models.Chat;
using FineTune.Models.Generation;
using FineTune.Models.Lora;
using FineTune.Models.Tokenization;
using FineTune.Models.Transformer;

namespace FineTune.Cli.Commands;

/// <summary>`finetune chat`: talk to a base model (optionally with an adapter) in the terminal, replies streamed token by token.</summary>
public static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Base model folder.", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "LoRA adapter folder (PEFT format)." };
        var system = new Option<string?>("--system") { Description = "System prompt." };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy.", DefaultValueFactory = _ => 0.7 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 0.9 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per reply.", DefaultValueFactory = _ => 256 };
        var template = new Option<string?>("--chat-template") { Description = "Override the detected chat template." };
        var cmd = new Command("chat", "Chat with a model in the terminal (/reset clears the history, /exit or end of input quits).")
            { model, adapter, system, temperature, topP, maxTokens, template };
        cmd.SetAction((pr, ct) =>
        {
            LibTorch.ConfigureThreads();
            var dir = pr.GetValue(model)!;
            var tokenizer = Tokenizer.Load(dir);
            var chat = ChatTemplate.ForTokenizer(tokenizer, pr.GetValue(template));
            using var m = ModelLoader.Load(dir);
            using var a = pr.GetValue(adapter) is { } ad ? LoraAdapter.Load(ad, m) : null;
            a?.AttachTo(m);
            Console.Error.WriteLine($"chat: {m.Config.ModelType}{(a is null ? "" : " + adapter")}, template {chat.Choice}");
            var options = new SamplingOptions
            {
                Temperature = pr.GetValue(temperature), TopP = pr.GetValue(topP), MaxNewTokens = pr.GetValue(maxTokens),
                EosTokenIds = [chat.EndOfTurnTokenId, .. m.Config.EosTokenIds],
            }.Validate();
            var history = new List<(string, string)>();
            if (pr.GetValue(system) is { } s) history.Add(("system", s));
            var generator = new Generator(m);
            while (!ct.IsCancellationRequested)
            {
                if (!Console.IsInputRedirected) Console.Write("> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") break;
                if (line.Trim() == "/reset") { history.RemoveAll(h => h.Item1 != "system"); continue; }
                if (line.Trim().Length == 0) continue;
                history.Add(("user", line));
                var (ids, _) = chat.Render(history, addGenerationPrompt: true);
                var decoder = tokenizer.CreateStreamingDecoder(skipSpecial: true);
                var reply = new System.Text.StringBuilder();
                generator.Generate([ids], options, onToken: (_, token) =>
                {
                    var piece = decoder.Append(token);
                    reply.Append(piece);
                    Console.Write(piece);
                }, cancellationToken: ct);
                var rest = decoder.Flush();
                reply.Append(rest);
                Console.WriteLine(rest);
                history.Add(("assistant", reply.ToString()));
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
