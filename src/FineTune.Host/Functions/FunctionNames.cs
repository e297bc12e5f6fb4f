namespace FineTune.Host.Functions;

/// <summary>The functions of the packed Functions app; each is a folder with a function.json.</summary>
public static class FunctionNames
{
    public const string BlobUpload = "BlobUpload";
    public const string JobQueue = "JobQueue";
    public const string Sweep = "Sweep";
    public const string Api = "Api";
}
