using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace FineTune.Synthesis;

/// <summary>
/// PDF through poppler's <c>pdftotext</c> (Debian package poppler-utils): UTF-8 output, one form feed per page,
/// so page numbers survive. CJK text comes out as long as the PDF's fonts map to Unicode (ToUnicode or a known CMap).
/// </summary>
public static class PdfTextExtractor
{
    public static async Task<ExtractedDocument> ExtractAsync(string path, string pdfToTextPath = "pdftotext", CancellationToken ct = default)
    {
        var start = new ProcessStartInfo(pdfToTextPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { "-enc", "UTF-8", "-eol", "unix", path, "-" })
            start.ArgumentList.Add(arg);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ExtractionException($"could not start '{pdfToTextPath}'.");
        }
        catch (Win32Exception e)
        {
            throw new ExtractionException(
                $"'{pdfToTextPath}' was not found, and it is needed to read PDF files such as '{path}'. " +
                "Install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils; macOS: brew install poppler).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var text = await stdout;
            var errors = (await stderr).Trim();
            if (process.ExitCode != 0)
                throw new ExtractionException($"pdftotext failed on '{path}' (exit {process.ExitCode}): {errors}");
            return new ExtractedDocument(path, PlainTextExtractor.SplitPages(text));
        }
    }
}
