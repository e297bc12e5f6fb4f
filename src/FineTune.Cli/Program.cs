// finetune: the one executable. Each verb lives in Commands/ and is registered in Verbs.cs.
using System.CommandLine;
using System.Globalization;
using FineTune.Cli;

// Output, progress lines and files read by other processes format numbers the same whatever the machine's locale:
// the solution runs with ICU (for Unicode normalization), not in invariant-globalization mode.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

var root = new RootCommand("FineTune: validate data, synthesize Q&A, train LoRA adapters, evaluate, serve.");
foreach (var verb in Verbs.All())
    root.Subcommands.Add(verb);

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"finetune: {error.Message}");
    Console.Error.WriteLine("Run 'finetune --help' for usage.");
    return ExitCodes.Usage;
}
return await parsed.InvokeAsync();
