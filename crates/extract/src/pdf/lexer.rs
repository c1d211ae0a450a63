//! A streaming tokenizer for PDF content streams: operands and operators, with inline
//! images skipped. It never allocates more than the current token.

/// One token of a content stream.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token<'a> {
    /// A number (integer or real).
    Number(f64),
    /// A name, without its leading `/` (escapes left as is).
    Name(&'a [u8]),
    /// A literal or hexadecimal string, decoded to its bytes.
    Str(Vec<u8>),
    /// `[`
    ArrayStart,
    /// `]`
    ArrayEnd,
    /// `<<`
    DictStart,
    /// `>>`
    DictEnd,
    /// An operator (or keyword such as `true`).
    Operator(&'a [u8]),
}

/// Tokenizes a content stream.
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// The next token, or `None` at the end of the stream. Inline images are skipped.
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            let token = self.raw_token()?;
            if token == Token::Operator(b"BI") {
                self.skip_inline_image();
                continue;
            }
            return Some(token);
        }
    }

    /// The next token without inline-image handling (never recurses).
    fn raw_token(&mut self) -> Option<Token<'a>> {
        loop {
            self.skip_whitespace_and_comments();
            let b = *self.data.get(self.pos)?;
            let token = match b {
                b'/' => {
                    self.pos += 1;
                    Token::Name(self.take_regular())
                }
                b'(' => {
                    self.pos += 1;
                    Token::Str(self.literal_string())
                }
                b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                    self.pos += 2;
                    Token::DictStart
                }
                b'<' => {
                    self.pos += 1;
                    Token::Str(self.hex_string())
                }
                b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    Token::DictEnd
                }
                b'[' => {
                    self.pos += 1;
                    Token::ArrayStart
                }
                b']' => {
                    self.pos += 1;
                    Token::ArrayEnd
                }
                b'0'..=b'9' | b'+' | b'-' | b'.' => {
                    let word = self.take_regular();
                    Token::Number(parse_number(word))
                }
                _ if is_regular(b) => Token::Operator(self.take_regular()),
                _ => {
                    // A stray delimiter (`)`, `>`, `{`, `}`): skip it.
                    self.pos += 1;
                    continue;
                }
            };
            return Some(token);
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self
                    .data
                    .get(self.pos)
                    .is_some_and(|&c| c != b'\n' && c != b'\r')
                {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn take_regular(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.data.get(self.pos).is_some_and(|&b| is_regular(b)) {
            self.pos += 1;
        }
        &self.data[start..self.pos]
    }

    /// Reads a literal string after its `(`: balanced parentheses and backslash escapes.
    fn literal_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                _ => out.push(b),
            }
        }
        out
    }

    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(&b) = self.data.get(self.pos) else {
            return;
        };
        self.pos += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.data.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            b'\r' => {
                if self.data.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
    }

    /// Reads a hexadecimal string after its `<`.
    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            let digit = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => continue,
            };
            match high.take() {
                Some(h) => out.push(h << 4 | digit),
                None => high = Some(digit),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    /// Skips an inline image: its dictionary up to `ID`, then binary data up to `EI`.
    fn skip_inline_image(&mut self) {
        while let Some(token) = self.raw_token() {
            if token == Token::Operator(b"ID") {
                break;
            }
        }
        self.pos = (self.pos + 1).min(self.data.len());
        while self.pos + 1 < self.data.len() {
            let preceded = self.pos == 0 || is_whitespace(self.data[self.pos - 1]);
            let followed = self
                .data
                .get(self.pos + 2)
                .is_none_or(|&b| is_whitespace(b));
            if preceded && followed && &self.data[self.pos..self.pos + 2] == b"EI" {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.pos = self.data.len();
    }
}

/// Parses a PDF number leniently (`--5`, `1.2.3` and the like fall back to what parses).
fn parse_number(word: &[u8]) -> f64 {
    let text = std::str::from_utf8(word).unwrap_or("0");
    if let Ok(value) = text.parse::<f64>() {
        return if value.is_finite() { value } else { 0.0 };
    }
    let trimmed = text.trim_start_matches(['+', '-']);
    let negative = text.starts_with('-');
    let end = trimmed
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(trimmed.len());
    let value: f64 = trimmed[..end]
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
        .parse()
        .unwrap_or(0.0);
    if negative { -value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(data: &[u8]) -> Vec<Token<'_>> {
        let mut lexer = Lexer::new(data);
        std::iter::from_fn(|| lexer.next_token()).collect()
    }

    #[test]
    fn tokenizes_text_operators() {
        let got = tokens(b"BT /F1 12 Tf (Hi \\(x\\) \\101) Tj [<48 65> -250 (y)] TJ % comment\nET");
        assert_eq!(
            got,
            vec![
                Token::Operator(b"BT"),
                Token::Name(b"F1"),
                Token::Number(12.0),
                Token::Operator(b"Tf"),
                Token::Str(b"Hi (x) A".to_vec()),
                Token::Operator(b"Tj"),
                Token::ArrayStart,
                Token::Str(b"He".to_vec()),
                Token::Number(-250.0),
                Token::Str(b"y".to_vec()),
                Token::ArrayEnd,
                Token::Operator(b"TJ"),
                Token::Operator(b"ET"),
            ]
        );
    }

    #[test]
    fn skips_inline_images_and_garbage() {
        let got = tokens(b"q BI /W 2 /H 2 ID \x00EI\xff\xfe EI Q");
        assert_eq!(got, vec![Token::Operator(b"q"), Token::Operator(b"Q")]);
        assert_eq!(
            tokens(b"(unterminated \\"),
            vec![Token::Str(b"unterminated ".to_vec())]
        );
        assert_eq!(tokens(b"<4"), vec![Token::Str(vec![0x40])]);
        assert_eq!(
            tokens(b"1.2.3 --4"),
            vec![Token::Number(1.2), Token::Number(-4.0)]
        );
    }
}
