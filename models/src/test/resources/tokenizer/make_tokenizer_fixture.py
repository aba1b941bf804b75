"""Writes the tokenizer fixture that TextTokenizerTest reads.

Run from anywhere with the project's venv (tokenizers, transformers):
    python models/src/test/resources/tokenizer/make_tokenizer_fixture.py

tokenizer.json  a byte-level BPE trained by the `tokenizers` package on a few sentences (accented letters,
                CJK, emoji), vocabulary 300, special tokens <unk> <s> </s> <pad> at ids 0..3, and a
                post-processor that wraps every text in <s> ... </s>.
tokenizer_truncating.json  the same with truncation (5 tokens) and padding (to 10) switched on in the file,
                which transformers switches off per call unless asked.
expected.json   for each text: transformers' PreTrainedTokenizerFast(tokenizer_file=...)(text)["input_ids"],
                and decode(ids, skip_special_tokens=False / True); and decodes of id lists cut in the
                middle of a character (U+FFFD where the bytes stop short), and of ids past the vocabulary.
"""
import json
import pathlib

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

HERE = pathlib.Path(__file__).resolve().parent
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>"]

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "ALiBi adds a linear bias to attention scores, so models read longer texts than they saw in training.",
    "Le café est très chaud ; la crème brûlée aussi. Où est la forêt ?",
    "Über den Wolken muss die Freiheit wohl grenzenlos sein. Größe, Maß, Straße.",
    "El niño comió jalapeños en la mañana, señor.",
    "我们今天学习注意力机制。你好，世界！",
    "日本語のテキストもあります。東京は大きい。",
    "한국어 문장도 있습니다.",
    "Emoji: 🙂 🚀 🎉 👍🏽 and a family 👨‍👩‍👧.",
    "Numbers 1234567890 and symbols #$%&*()[]{}<>",
]

TEXTS = [
    "The quick brown fox.",
    "café crème brûlée, naïve résumé",
    "我们今天学习注意力机制。",
    "東京は大きい。 한국어",
    "🙂🚀 launch! 👍🏽",
    "Unseen letters: Ωμέγα ß ĳ Ꮳ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "hello , world . it 's a test !",
    "  leading and trailing spaces  ",
    "line one\nline two\ttabbed\r\n",
    "<s>special tokens</s> in <pad> the text <unk>",
    "",
    " ",
    "ALiBi " * 120 + "end",  # more than 512 tokens: nothing truncates
]

# Id lists to decode as given, some stopping inside a multi-byte character.
CUTS = ["café", "我们", "🙂🚀", "Ωμέγα"]


def train():
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, min_frequency=1, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B </s>",
        special_tokens=[("<s>", tokenizer.token_to_id("<s>")), ("</s>", tokenizer.token_to_id("</s>"))])
    for index, token in enumerate(SPECIAL):
        assert tokenizer.token_to_id(token) == index, token
    tokenizer.save(str(HERE / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=5)
    tokenizer.enable_padding(length=10, pad_id=tokenizer.token_to_id("<pad>"), pad_token="<pad>")
    tokenizer.save(str(HERE / "tokenizer_truncating.json"))


def expected():
    fast = PreTrainedTokenizerFast(tokenizer_file=str(HERE / "tokenizer.json"))
    encodings = []
    for text in TEXTS:
        ids = fast(text)["input_ids"]
        encodings.append({"text": text, "ids": ids,
                          "decoded": fast.decode(ids, skip_special_tokens=False),
                          "decoded_skipping_special": fast.decode(ids, skip_special_tokens=True)})
    cuts = []
    for text in CUTS:
        ids = fast(text)["input_ids"]
        for end in range(1, len(ids) + 1):
            cut = ids[:end]
            cuts.append({"ids": cut, "decoded": fast.decode(cut, skip_special_tokens=False)})
    # Ids past the vocabulary are skipped by the Rust decoder.
    for ids in ([1, 70, 5000, 68, 2], [299, 300, 1000000]):
        cuts.append({"ids": ids, "decoded": fast.decode(ids, skip_special_tokens=False)})
    truncating = PreTrainedTokenizerFast(tokenizer_file=str(HERE / "tokenizer_truncating.json"))
    untruncated = [{"text": text, "ids": truncating(text)["input_ids"]} for text in ("The quick brown fox.", "a")]
    document = {"vocab_size": fast.vocab_size, "encodings": encodings, "cuts": cuts,
                "file_truncation_ignored": untruncated}
    (HERE / "expected.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    train()
    expected()
