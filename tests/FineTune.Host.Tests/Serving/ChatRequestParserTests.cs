using System.Text;
using FineTune.Host.Serving;

namespace FineTune.Host.Tests.Serving;

/// <summary>The chat-completions body read through the source-generated context: values, defaults and type errors.</summary>
public sealed class ChatRequestParserTests
{
    private static ChatCompletionRequest Parse(string json) => ChatRequestParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_FullBody_ReadsEveryServedField_AndIgnoresUnknownOnes()
    {
        var r = Parse("""
            {"model":"m","messages":[{"role":"developer","content":"sys"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
             {"role":"assistant","content":"ok","name":"bot"}],
             "stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":12,"max_tokens":99,
             "temperature":0.5,"top_p":0.9,"seed":-3,"stop":["x","y"],"n":1,"logprobs":false,"tools":[],"response_format":{"type":"text"},
             "user":"someone","metadata":{"a":[1,{"b":null}]},"presence_penalty":0.1}
            """);
        Assert.Equal("m", r.Model);
        Assert.Equal([("system", "sys"), ("user", "ab"), ("assistant", "ok")], r.Messages);
        Assert.True(r.Stream && r.IncludeUsage);
        Assert.Equal(12, r.MaxTokens);
        Assert.Equal((0.5, 0.9, -3L), (r.Temperature, r.TopP, r.Seed!.Value));
        Assert.Equal(["x", "y"], r.Stop);
    }

    [Fact]
    public void Parse_MinimalBody_TakesOpenAIsDefaults()
    {
        var r = Parse("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":null,"stop":"END"}""");
        Assert.False(r.Stream || r.IncludeUsage);
        Assert.Null(r.MaxTokens);
        Assert.Null(r.Seed);
        Assert.Equal((1.0, 1.0), (r.Temperature, r.TopP));
        Assert.Equal(["END"], r.Stop);
    }

    [Theory]
    [InlineData("""{"model":5,"messages":[]}""", "model", "model must be a string.")]
    [InlineData("""{"model":"m","messages":{"role":"user"}}""", "messages", "messages must be an array of {role, content}.")]
    [InlineData("""{"model":"m","messages":[1]}""", "messages[0]", "messages[0] must be an object.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":5}]}""", "messages[1].content", "messages[1].content must be a string or an array of text parts.")]
    [InlineData("""{"model":"m","messages":[{"role":true,"content":"a"}]}""", "messages[0].role", "messages[0].role must be a string.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"temperature":"hot"}""", "temperature", "temperature must be a number.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":2.5}""", "max_tokens", "max_tokens must be an integer.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"stop":["a",1]}""", "stop", "stop must be a string or an array of strings.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"stream":"yes"}""", "stream", "stream must be a boolean.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a"}],"stream":true,"stream_options":{"include_usage":1}}""", "stream_options.include_usage", "stream_options.include_usage must be a boolean.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":7}]}]}""", "messages[0].content[0].text", "messages[0].content[0].text must be a string.")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":["hi"]}]}""", "messages[0].content[0].type", "messages[0].content[0] must be an object with a type.")]
    public void Parse_ValueOfTheWrongType_Is400NamingItsPath(string json, string param, string message)
    {
        var e = Assert.Throws<OpenAiError>(() => Parse(json));
        Assert.Equal(400, e.Status);
        Assert.Equal("invalid_request_error", e.Type);
        Assert.Equal(param, e.Param);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Parse_BodyNotAnObject_Is400WithoutParam(string json)
    {
        var e = Assert.Throws<OpenAiError>(() => Parse(json));
        Assert.Equal("The request body must be a JSON object.", e.Message);
        Assert.Null(e.Param);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"model\": ")]
    [InlineData("{\"model\": \"m\"} trailing")]
    public void Parse_MalformedJson_Is400SayingSo(string json)
    {
        var e = Assert.Throws<OpenAiError>(() => Parse(json));
        Assert.StartsWith("The body is not valid JSON", e.Message);
        Assert.Null(e.Param);
    }
}
