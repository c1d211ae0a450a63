//! A BERT-uncased WordPiece tokenizer, equivalent to Hugging Face `tokenizers`'
//! `BertNormalizer` (clean text, CJK padding, accent stripping, lowercasing) +
//! `BertPreTokenizer` + `WordPiece` (`##` continuation, 100-char word limit).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

use crate::EmbedError;

/// Words longer than this many characters become `[UNK]` (HF default).
const MAX_INPUT_CHARS_PER_WORD: usize = 100;

/// A small, fast, deterministic string hasher (FxHash).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Ids of BERT's special tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialIds {
    /// `[UNK]`
    pub unk: u32,
    /// `[CLS]`
    pub cls: u32,
    /// `[SEP]`
    pub sep: u32,
    /// `[PAD]`
    pub pad: u32,
}

/// A WordPiece tokenizer for BERT uncased vocabularies.
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: FxMap<Box<str>, u32>,
    tokens: Vec<Box<str>>,
    special: SpecialIds,
}

impl WordPiece {
    /// Builds the tokenizer from the text of a `vocab.txt` (one token per line,
    /// the line number is the id). Requires `[UNK]`, `[CLS]`, `[SEP]` and `[PAD]`.
    pub fn from_vocab_text(text: &str) -> Result<Self, EmbedError> {
        let mut vocab = FxMap::default();
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let tok = line.trim_end();
            let id = u32::try_from(i)
                .map_err(|_| EmbedError::BadVocab("more than 2^32 tokens".into()))?;
            vocab.insert(Box::<str>::from(tok), id);
            tokens.push(Box::<str>::from(tok));
        }
        if tokens.is_empty() {
            return Err(EmbedError::BadVocab("vocabulary is empty".into()));
        }
        let get = |name: &str| {
            vocab
                .get(name)
                .copied()
                .ok_or_else(|| EmbedError::BadVocab(format!("special token {name} is missing")))
        };
        let special = SpecialIds {
            unk: get("[UNK]")?,
            cls: get("[CLS]")?,
            sep: get("[SEP]")?,
            pad: get("[PAD]")?,
        };
        Ok(Self {
            vocab,
            tokens,
            special,
        })
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The special token ids.
    pub fn special_ids(&self) -> SpecialIds {
        self.special
    }

    /// The token string of an id, if the id is in the vocabulary.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(|t| &**t)
    }

    /// The id of a token string.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    /// Tokenizes `text` into at most `max_tokens` ids, without special tokens.
    pub fn encode(&self, text: &str, max_tokens: usize) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into(text, max_tokens, &mut out);
        out
    }

    /// Like [`WordPiece::encode`], appending into `out` (which is cleared first).
    pub fn encode_into(&self, text: &str, max_tokens: usize, out: &mut Vec<u32>) {
        out.clear();
        if max_tokens == 0 {
            return;
        }
        if text.is_ascii() {
            self.pre_tokenize_ascii(text.as_bytes(), max_tokens, out);
        } else {
            let chars = text
                .chars()
                .filter_map(clean_char)
                .flat_map(pad_cjk)
                .nfd()
                .filter(|c| !c.is_mark_nonspacing())
                .flat_map(char::to_lowercase);
            self.pre_tokenize(chars, max_tokens, out);
        }
    }

    /// Fast path for ASCII text, equivalent to the general path: NFD and
    /// accent stripping are identities, all ASCII punctuation and symbols are
    /// split, control characters other than `\t\n\r` are dropped.
    fn pre_tokenize_ascii(&self, bytes: &[u8], max_tokens: usize, out: &mut Vec<u32>) {
        let mut scratch = String::new();
        let mut lower = String::new();
        let mut i = 0;
        while i < bytes.len() && out.len() < max_tokens {
            let b = bytes[i];
            if b.is_ascii_punctuation() {
                self.word_piece(punct_str(b), &mut scratch, out);
                i += 1;
            } else if !b.is_ascii_graphic() {
                // Whitespace or a control character: both end a word only if
                // whitespace, but a dropped control character joins its
                // neighbours ("a\x07b" is the word "ab").
                i += 1;
            } else {
                lower.clear();
                let mut chars = 0usize;
                while i < bytes.len() {
                    let c = bytes[i];
                    if c.is_ascii_alphanumeric() {
                        chars += 1;
                        if chars <= MAX_INPUT_CHARS_PER_WORD {
                            lower.push(char::from(c.to_ascii_lowercase()));
                        }
                    } else if c.is_ascii_punctuation() || matches!(c, b' ' | b'\t' | b'\n' | b'\r')
                    {
                        break;
                    }
                    // Other control characters are dropped without splitting.
                    i += 1;
                }
                if chars > MAX_INPUT_CHARS_PER_WORD {
                    out.push(self.special.unk);
                } else {
                    self.word_piece(&lower, &mut scratch, out);
                }
            }
        }
        out.truncate(max_tokens);
    }

    /// Splits normalised characters into words (whitespace-separated, each
    /// punctuation character alone) and WordPiece-encodes each word.
    fn pre_tokenize(
        &self,
        chars: impl Iterator<Item = char>,
        max_tokens: usize,
        out: &mut Vec<u32>,
    ) {
        let mut word = String::new();
        let mut word_chars = 0usize;
        let mut scratch = String::new();
        for c in chars {
            if c.is_whitespace() {
                self.flush_word(&mut word, &mut word_chars, &mut scratch, max_tokens, out);
            } else if is_bert_punctuation(c) {
                self.flush_word(&mut word, &mut word_chars, &mut scratch, max_tokens, out);
                word.push(c);
                word_chars = 1;
                self.flush_word(&mut word, &mut word_chars, &mut scratch, max_tokens, out);
            } else {
                word_chars += 1;
                // Past the limit the word is [UNK] anyway; stop growing the buffer.
                if word_chars <= MAX_INPUT_CHARS_PER_WORD {
                    word.push(c);
                }
            }
            if out.len() >= max_tokens {
                out.truncate(max_tokens);
                return;
            }
        }
        self.flush_word(&mut word, &mut word_chars, &mut scratch, max_tokens, out);
        out.truncate(max_tokens);
    }

    fn flush_word(
        &self,
        word: &mut String,
        word_chars: &mut usize,
        scratch: &mut String,
        max_tokens: usize,
        out: &mut Vec<u32>,
    ) {
        if *word_chars == 0 {
            return;
        }
        if out.len() < max_tokens {
            if *word_chars > MAX_INPUT_CHARS_PER_WORD {
                out.push(self.special.unk);
            } else {
                self.word_piece(word, scratch, out);
            }
        }
        word.clear();
        *word_chars = 0;
    }

    /// Greedy longest-match-first segmentation of one word.
    fn word_piece(&self, word: &str, scratch: &mut String, out: &mut Vec<u32>) {
        if let Some(&id) = self.vocab.get(word) {
            out.push(id);
            return;
        }
        let mark = out.len();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                let piece = &word[start..end];
                let id = if start > 0 {
                    scratch.clear();
                    scratch.push_str("##");
                    scratch.push_str(piece);
                    self.vocab.get(scratch.as_str())
                } else {
                    self.vocab.get(piece)
                };
                if let Some(&id) = id {
                    found = Some(id);
                    break;
                }
                // Step back one character.
                end -= piece.chars().next_back().map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(mark);
                    out.push(self.special.unk);
                    return;
                }
            }
        }
    }
}

/// HF `BertNormalizer` clean-text: drop NUL, U+FFFD and control/format/private-use
/// characters; map whitespace (incl. `\t`, `\n`, `\r`) to a plain space.
#[inline]
fn clean_char(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => Some(' '),
        '\0' | '\u{fffd}' => None,
        c if c.is_other() => None,
        c if c.is_whitespace() => Some(' '),
        c => Some(c),
    }
}

/// Surrounds CJK ideographs with spaces (HF `handle_chinese_chars`).
#[inline]
fn pad_cjk(c: char) -> std::iter::Take<std::array::IntoIter<char, 3>> {
    if is_chinese_char(c) {
        [' ', c, ' '].into_iter().take(3)
    } else {
        [c, ' ', ' '].into_iter().take(1)
    }
}

fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

/// A one-byte ASCII punctuation character as a `&str`.
fn punct_str(b: u8) -> &'static str {
    const ALL: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    ALL.find(char::from(b))
        .and_then(|i| ALL.get(i..i + 1))
        .unwrap_or("")
}

#[inline]
fn is_bert_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("wordpiece_hf_reference.inc");

    fn tokenizer() -> WordPiece {
        match WordPiece::from_vocab_text(include_str!("../model/vocab.txt")) {
            Ok(t) => t,
            Err(e) => panic!("builtin vocab: {e}"),
        }
    }

    #[test]
    fn matches_hf_tokenizers() {
        let t = tokenizer();
        for (text, ids) in hf_reference() {
            assert_eq!(t.encode(&text, usize::MAX), ids, "text {text:?}");
        }
    }

    /// The general (Unicode) path, even for ASCII input.
    fn encode_general(t: &WordPiece, text: &str, max: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let chars = text
            .chars()
            .filter_map(clean_char)
            .flat_map(pad_cjk)
            .nfd()
            .filter(|c| !c.is_mark_nonspacing())
            .flat_map(char::to_lowercase);
        t.pre_tokenize(chars, max, &mut out);
        out
    }

    #[test]
    fn ascii_fast_path_equals_general_path() {
        let t = tokenizer();
        let mut state: u64 = 42;
        let alphabet: Vec<u8> = (0u8..128).collect();
        for round in 0..3000 {
            let len = (round % 60) + 1;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Bias towards letters and spaces so real words occur.
                    match state % 4 {
                        0 | 1 => char::from(b'a' + (state >> 8) as u8 % 26),
                        2 => ' ',
                        _ => char::from(alphabet[((state >> 8) % 128) as usize]),
                    }
                })
                .collect();
            for max in [usize::MAX, 3] {
                assert_eq!(
                    t.encode(&text, max),
                    encode_general(&t, &text, max),
                    "{text:?}"
                );
            }
        }
        let long = "x".repeat(150) + " ok\u{7}ay";
        assert_eq!(t.encode(&long, 100), encode_general(&t, &long, 100));
    }

    #[test]
    fn respects_max_tokens() {
        let t = tokenizer();
        let ids = t.encode("one two three four five", 3);
        assert_eq!(ids.len(), 3);
        assert_eq!(ids, t.encode("one two three", 10));
        assert!(t.encode("anything", 0).is_empty());
    }

    #[test]
    fn specials() {
        let t = tokenizer();
        assert_eq!(
            t.special_ids(),
            SpecialIds {
                unk: 100,
                cls: 101,
                sep: 102,
                pad: 0
            }
        );
        assert_eq!(t.vocab_size(), 30522);
    }
}
