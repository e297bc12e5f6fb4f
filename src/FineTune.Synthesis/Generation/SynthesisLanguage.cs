namespace FineTune.Synthesis;

/// <summary>Language of the default prompt (and so of the questions and answers).</summary>
public enum SynthesisLanguage { Zh, En }
