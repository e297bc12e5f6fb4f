using System.CommandLine;
using FineTune.Training;

namespace FineTune.Cli.Commands;

/// <summary>
/// `finetune train`'s hyperparameter options, one per row of <see cref="HyperparameterTable"/>: its option (and the name with
/// dashes, <c>--learning-rate</c> for <c>--lr</c>), its help with the range, and its value parsed by the definition, so a bad
/// value gets the same message a manifest would.
/// </summary>
internal sealed class HyperparameterOptions
{
    private readonly List<(HyperparameterDefinition Definition, Option Option)> _options = [];

    public HyperparameterOptions()
    {
        foreach (var d in HyperparameterTable.All)
        {
            Option option = d.Kind == HyperparameterKind.Flag
                ? new Option<bool>(d.Option) { Description = d.Help }
                : new Option<string?>(d.Option) { Description = d.Help, HelpName = d.Name };
            if (d.LongOption is { } alias) option.Aliases.Add(alias);
            _options.Add((d, option));
        }
    }

    public IEnumerable<Option> Options => _options.Select(o => o.Option);

    /// <summary>The hyperparameters given on the command line; <see cref="ArgumentException"/> naming one that does not parse.</summary>
    public HyperparameterOverrides Read(ParseResult pr)
    {
        var overrides = new Dictionary<HyperparameterDefinition, object>();
        foreach (var (d, option) in _options)
        {
            switch (option)
            {
                case Option<bool> flag when pr.GetValue(flag):
                    overrides[d] = true;
                    break;
                case Option<string?> text when pr.GetValue(text) is { } value:
                    overrides[d] = d.Parse(value);
                    break;
            }
        }
        return HyperparameterOverrides.From(overrides);
    }
}
