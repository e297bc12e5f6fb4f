using System.Runtime.CompilerServices;

// The tokenizer's internals (splitter, NFC tables, byte alphabet) are tested directly against reference behaviour.
[assembly: InternalsVisibleTo("FineTune.Models.Tests")]
