namespace FineTune.Models.Tokenization;

/// <summary>The built-in text <see cref="TinyTokenizerBuilder"/> learns its merges from: English, Chinese, arithmetic, chat.</summary>
internal static class TinyTokenizerCorpus
{
    public const string Text = """
        The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.
        A language model reads text as tokens and learns to predict the next token. Training makes the loss go down.
        We fine-tune the model on questions and answers, then we evaluate it on a held-out set of problems.
        What is the capital of France? The capital of France is Paris. What is the capital of Japan? It is Tokyo.
        Please answer the question step by step. First, read the problem. Then, write the answer at the end.
        The user asks a question and the assistant answers it. The assistant is helpful, honest and harmless.
        There are three apples and two oranges on the table. How many pieces of fruit are there? There are five.
        She said that the weather would be nice today, so they went for a walk in the park after lunch.
        I think this is a good idea. You should try it. They have done it before, and it worked well for them.
        Learning rate, batch size, warmup steps and weight decay are the settings we change most often.
        Hello! How are you today? I am fine, thank you. Can you help me with my homework? Of course I can.
        我们今天去公园散步。天气很好，阳光明媚。小明喜欢学习数学和语文。
        机器学习是人工智能的一个分支。语言模型可以回答问题，也可以写文章。
        请一步一步地思考这个问题，然后给出答案。答案是十二。谢谢你的帮助！
        中国的首都是北京。日本的首都是东京。法国的首都是巴黎。
        问题：小红有三个苹果，又买了五个，她现在有几个苹果？答案：八个。
        1 + 1 = 2
        2 + 3 = 5
        7 + 8 = 15
        12 + 30 = 42
        45 - 17 = 28
        6 * 7 = 42
        9 * 9 = 81
        100 / 4 = 25
        3 * (4 + 5) = 27
        The answer is 42. The answer is 15. The answer is 100. The total is 250 dollars.
        If a train travels 60 miles per hour for 3 hours, it travels 180 miles.
        Tom has 12 marbles. He gives 5 to Anna. Now Tom has 12 - 5 = 7 marbles. #### 7
        A box holds 24 pens. There are 6 boxes. So there are 24 * 6 = 144 pens. #### 144
        def add(a, b):
            return a + b

        for i in range(10):
            print(i * i)
        """;
}
