using FineTune.Data;
using FineTune.Training.Evaluation;

namespace FineTune.Training.Tests.Evaluation;

public class EvalSetTests
{
    [Fact]
    public async Task LoadAsync_Gsm8kJsonl_QuestionIsTheUserTurn_AnswerTheReference()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir["gsm.jsonl"],
        [
            """{"question": "Tom has 3 apples and buys 4. How many?", "answer": "3 + 4 = <<3+4=7>>7\n#### 7"}""",
            "",
            """{"question": "What is 1,000 + 1?", "answer": "#### 1,001"}""",
        ]);
        var items = await EvalSet.LoadAsync(dir["gsm.jsonl"]);
        Assert.Equal(2, items.Count);
        Assert.Equal([new ChatMessage("user", "Tom has 3 apples and buys 4. How many?")], items[0].Prompt);
        Assert.Equal(("7", ReferenceKind.Marked), (items[0].Reference, items[0].ReferenceKind));
        Assert.Equal("1001", items[1].Reference);
    }

    [Fact]
    public async Task LoadAsync_Gsm8kLineWithoutAnswer_NamesTheLine()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir["gsm.jsonl"], ["""{"question": "a", "answer": "#### 1"}""", """{"question": "b"}"""]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => EvalSet.LoadAsync(dir["gsm.jsonl"]));
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public async Task LoadAsync_ChatJsonl_LastAssistantIsTheReference_EarlierTurnsThePrompt()
    {
        using var dir = new TempDir();
        var path = TestModels.WriteJsonl(dir, "chat.jsonl",
        [
            ChatExample.Of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "2 + 2?"), new ChatMessage("assistant", "4"),
                new ChatMessage("user", "And 3 + 3?"), new ChatMessage("assistant", "3 + 3 = 6.")),
        ]);
        var item = Assert.Single(await EvalSet.LoadAsync(path));
        Assert.Equal(4, item.Prompt.Count);
        Assert.Equal("And 3 + 3?", item.Prompt[^1].Content);
        Assert.Equal(("6", ReferenceKind.Number), (item.Reference, item.ReferenceKind));
    }

    [Fact]
    public void Split_ShotsFromTheSameSet_AreNotEvaluated_AndPromptsCarryThemAsTurns()
    {
        var items = Enumerable.Range(0, 5).Select(i => EvalItem.FromGsm8k($"q{i}", $"#### {i}")).ToList();
        var (shots, evaluated) = EvalPrompts.Split(items, 2, null);
        Assert.Equal(["q0", "q1"], shots.Select(s => s.Prompt[0].Content));
        Assert.Equal(["q2", "q3", "q4"], evaluated.Select(s => s.Prompt[0].Content));

        var withSystem = new EvalItem([new ChatMessage("system", "sys"), new ChatMessage("user", "q9")], "#### 9");
        var messages = EvalPrompts.Build(withSystem, shots);
        Assert.Equal([("system", "sys"), ("user", "q0"), ("assistant", "#### 0"), ("user", "q1"), ("assistant", "#### 1"), ("user", "q9")], messages);

        var (poolShots, all) = EvalPrompts.Split(items, 2, [EvalItem.FromGsm8k("p", "#### 1"), EvalItem.FromGsm8k("p2", "#### 2")]);
        Assert.Equal(5, all.Count);
        Assert.Equal("p", poolShots[0].Prompt[0].Content);
        Assert.Throws<InvalidDataException>(() => EvalPrompts.Split(items, 5, null));
    }

    [Fact]
    public void AdapterRef_Parse_NamesByFolder_Dedupes_AndAcceptsNameEqualsDir()
    {
        var taken = new List<string>();
        Assert.Equal("adapter", AdapterRef.Parse("/runs/a/adapter/", taken).Name);
        Assert.Equal("adapter-2", AdapterRef.Parse("/runs/b/adapter", taken).Name);
        Assert.Equal("epoch-3", AdapterRef.Parse("/runs/a/checkpoints/epoch-3", taken).Name);
        Assert.Equal("base-2", AdapterRef.Parse("/x/base", taken).Name);
        Assert.Equal(new AdapterRef("tuned", "/runs/a/adapter"), AdapterRef.Parse("tuned=/runs/a/adapter"));
        Assert.Throws<ArgumentException>(() => new AdapterRef("base", "/x").Validate());
    }

    [Fact]
    public async Task HeldOutAsync_ValidationCount_IsTheTrainersSplit_AndNoShareIsAnError()
    {
        using var dir = new TempDir();
        var examples = TestModels.QaPairs(12);
        var data = TestModels.WriteJsonl(dir, "train.jsonl", examples);
        var spec = new TrainingSpec { Model = "m", Data = data, Output = dir["out"], ValidationCount = 3 };
        var heldOut = await EvalSet.HeldOutAsync(spec);
        var (_, validation) = TrainingData.Split(await TrainingData.LoadAsync(data), 0, 3);
        Assert.Equal(validation.Select(v => v.Messages[^1].Content), heldOut.Select(h => h.Answer));
        Assert.Equal(3, heldOut.Count);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => EvalSet.HeldOutAsync(spec with { ValidationCount = 0 }));
        Assert.Contains("nothing was held out", e.Message);
    }
}
