using System.Text.Json;

namespace FineTune.Data;

/// <summary>
/// How a format names a message's role and content: chat uses role/content with system/user/assistant;
/// ShareGPT uses from/value with system/human/gpt (LLaMA-Factory's defaults), and its messages-style
/// variant role/content. Role values map to <see cref="ChatRoles"/>; unknown values pass through
/// unchanged, for <see cref="ChatRules"/> to report.
/// </summary>
internal sealed class RoleNaming
{
    public static readonly RoleNaming Chat = new("role", "content", shareGptTags: false);
    public static readonly RoleNaming ShareGpt = new("from", "value", shareGptTags: true);
    public static readonly RoleNaming ShareGptMessages = new("role", "content", shareGptTags: true);

    private readonly byte[] _roleKey, _contentKey;
    private readonly bool _shareGptTags;

    private RoleNaming(string roleKey, string contentKey, bool shareGptTags)
    {
        RoleKey = roleKey;
        ContentKey = contentKey;
        _roleKey = System.Text.Encoding.UTF8.GetBytes(roleKey);
        _contentKey = System.Text.Encoding.UTF8.GetBytes(contentKey);
        _shareGptTags = shareGptTags;
    }

    public string RoleKey { get; }
    public string ContentKey { get; }

    public bool IsRoleKey(ref Utf8JsonReader reader) => reader.ValueTextEquals(_roleKey);
    public bool IsContentKey(ref Utf8JsonReader reader) => reader.ValueTextEquals(_contentKey);

    /// <summary>The role of the string token under the reader, as a <see cref="ChatRoles"/> constant when known.</summary>
    public string MapRole(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("user"u8)) return ChatRoles.User;
        if (reader.ValueTextEquals("assistant"u8)) return ChatRoles.Assistant;
        if (reader.ValueTextEquals("system"u8)) return ChatRoles.System;
        if (_shareGptTags)
        {
            if (reader.ValueTextEquals("human"u8)) return ChatRoles.User;
            if (reader.ValueTextEquals("gpt"u8)) return ChatRoles.Assistant;
        }
        return JsonValues.GetString(ref reader)!;
    }
}
