//! HTML parsing with a nesting cap.
//!
//! The HTML tree-building algorithm scans the stack of open elements for many start
//! tags, so a document of deeply nested elements costs time quadratic in its size. Like
//! browsers, the parser here stops nesting at [`MAX_DEPTH`]: deeper start tags (and their
//! end tags) are dropped while their text is kept.

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, TreeSink};
use html5ever::{LocalName, TokenizerResult};
use scraper::{Html, HtmlTreeSink};

/// Deepest nesting of counted elements kept.
const MAX_DEPTH: usize = 512;

/// Elements that do not count towards the depth: void elements, elements whose end
/// tags are implied by their siblings, and raw-text elements (which must reach the tree
/// builder so the tokenizer switches state).
const UNCOUNTED: &[&str] = &[
    "area",
    "base",
    "basefont",
    "bgsound",
    "br",
    "col",
    "embed",
    "frame",
    "hr",
    "img",
    "input",
    "keygen",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
    "html",
    "head",
    "body",
    "p",
    "li",
    "dt",
    "dd",
    "option",
    "optgroup",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "tfoot",
    "rt",
    "rp",
    "colgroup",
    "caption",
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "template",
];

/// Parses a whole document.
pub(crate) fn parse(source: &str) -> Html {
    let builder = TreeBuilder::new(
        HtmlTreeSink::new(Html::new_document()),
        TreeBuilderOpts::default(),
    );
    let guard = DepthGuard {
        inner: builder,
        depth: Cell::new(0),
        dropped: RefCell::new(Vec::new()),
    };
    let tokenizer = Tokenizer::new(guard, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(source));
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    tokenizer.sink.inner.sink.finish()
}

/// Forwards tokens to the tree builder, dropping start tags nested too deeply.
struct DepthGuard<S> {
    inner: S,
    depth: Cell<usize>,
    /// Names of dropped start tags still open, with counts; their end tags are dropped.
    dropped: RefCell<Vec<(LocalName, usize)>>,
}

impl<S> DepthGuard<S> {
    /// Consumes one dropped start tag named `name`, if there is one open.
    fn take_dropped(&self, name: &LocalName) -> bool {
        let mut dropped = self.dropped.borrow_mut();
        match dropped.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => false,
        }
    }

    fn record_dropped(&self, name: &LocalName) {
        let mut dropped = self.dropped.borrow_mut();
        match dropped.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => dropped.push((name.clone(), 1)),
        }
    }
}

fn counted(tag: &Tag) -> bool {
    !tag.self_closing && !UNCOUNTED.contains(&&*tag.name)
}

impl<S: TokenSink> TokenSink for DepthGuard<S> {
    type Handle = S::Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<S::Handle> {
        if let Token::TagToken(tag) = &token
            && counted(tag)
        {
            match tag.kind {
                TagKind::StartTag if self.depth.get() >= MAX_DEPTH => {
                    self.record_dropped(&tag.name);
                    return TokenSinkResult::Continue;
                }
                TagKind::StartTag => self.depth.set(self.depth.get() + 1),
                TagKind::EndTag if self.take_dropped(&tag.name) => {
                    return TokenSinkResult::Continue;
                }
                TagKind::EndTag => self.depth.set(self.depth.get().saturating_sub(1)),
            }
        }
        self.inner.process_token(token, line_number)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}
