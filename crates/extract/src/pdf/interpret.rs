//! The content-stream interpreter: walks operators with bounded recursion and work.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::font::{FontInfo, deref, number};
use super::lexer::{Lexer, Token};
use super::state::{Matrix, PageState, adjust, move_line, next_line, show_operand};
use crate::limits::Budget;
use crate::{ExtractError, Limits};

/// Deepest chain of form XObjects drawing form XObjects that is followed.
const MAX_FORM_DEPTH: usize = 12;
/// Deepest `q` (save graphics state) nesting kept; deeper saves are ignored.
const MAX_SAVED_STATES: usize = 256;
/// Most operands kept before an operator (no text operator needs more than 6).
const MAX_OPERANDS: usize = 16;
/// Most items kept in one array operand (a `TJ` line rarely has more than a few hundred).
const MAX_ARRAY_ITEMS: usize = 65_536;
/// Most distinct fonts read per document; text in further fonts is skipped.
const MAX_FONTS: usize = 4096;
/// Fixed cost charged per content stream run, so that many tiny form runs add up too.
const RUN_COST: u64 = 1024;

/// An operand of a content-stream operator.
#[derive(Debug)]
pub(super) enum Operand<'c> {
    Number(f64),
    Name(&'c [u8]),
    Str(Vec<u8>),
    Array(Vec<Operand<'c>>),
}

/// Identity of a font dictionary, for caching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FontKey {
    Object(ObjectId),
    Inline(usize),
}

/// Interprets content streams of one document, with caches and budgets shared by its pages.
pub(super) struct Interpreter<'a> {
    doc: &'a Document,
    fonts: HashMap<FontKey, Rc<FontInfo<'a>>>,
    forms: HashMap<ObjectId, Rc<Vec<u8>>>,
    inflated: u64,
    max_inflated: u64,
    interpreted: u64,
    max_interpreted: u64,
}

impl<'a> Interpreter<'a> {
    pub(super) fn new(doc: &'a Document, limits: &Limits) -> Self {
        Self {
            doc,
            fonts: HashMap::new(),
            forms: HashMap::new(),
            inflated: 0,
            max_inflated: limits.max_expanded_bytes,
            interpreted: 0,
            max_interpreted: limits.max_expanded_bytes.saturating_mul(4),
        }
    }

    /// The text of one page; pages whose content cannot be read yield no text.
    pub(super) fn page(
        &mut self,
        page_id: ObjectId,
        budget: &mut Budget,
    ) -> Result<String, ExtractError> {
        let Ok((own, inherited)) = self.doc.get_page_resources(page_id) else {
            return Ok(String::new());
        };
        let mut resources: Vec<&'a Dictionary> = own.into_iter().collect();
        resources.extend(
            inherited
                .into_iter()
                .filter_map(|id| self.doc.get_dictionary(id).ok()),
        );
        let mut state = PageState::default();
        for content_id in self.doc.get_page_contents(page_id) {
            let Some(content) = self.stream_bytes(content_id)? else {
                continue;
            };
            self.run(&content, &resources, &mut state, 0, budget)?;
            if budget.is_full(state.text.len()) {
                break;
            }
        }
        Ok(state.text)
    }

    /// The decoded bytes of a stream object; `None` when it is missing or undecodable.
    fn stream_bytes(&mut self, id: ObjectId) -> Result<Option<Vec<u8>>, ExtractError> {
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(None);
        };
        let data = if stream.dict.get(b"Filter").is_ok() {
            match stream.decompressed_content() {
                Ok(data) => data,
                Err(_) => return Ok(None),
            }
        } else {
            stream.content.clone()
        };
        self.inflated = self.inflated.saturating_add(data.len() as u64);
        if self.inflated > self.max_inflated {
            return Err(ExtractError::bomb("the PDF's content expands too large"));
        }
        Ok(Some(data))
    }

    /// Interprets one content stream.
    fn run(
        &mut self,
        content: &[u8],
        resources: &[&'a Dictionary],
        state: &mut PageState<'a>,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<(), ExtractError> {
        self.interpreted = self
            .interpreted
            .saturating_add(content.len() as u64 + RUN_COST);
        if self.interpreted > self.max_interpreted {
            return Err(ExtractError::bomb("the PDF draws too much content"));
        }
        let mut lexer = Lexer::new(content);
        let mut operands: Vec<Operand<'_>> = Vec::new();
        let mut array: Option<Vec<Operand<'_>>> = None;
        let mut dict_depth = 0usize;
        while let Some(token) = lexer.next_token() {
            budget.tick()?;
            if dict_depth > 0 {
                match token {
                    Token::DictStart => dict_depth += 1,
                    Token::DictEnd => dict_depth -= 1,
                    _ => {}
                }
                continue;
            }
            let operand = match token {
                Token::DictStart => {
                    dict_depth = 1;
                    continue;
                }
                Token::DictEnd => continue,
                Token::ArrayStart => {
                    array.get_or_insert_with(Vec::new);
                    continue;
                }
                Token::ArrayEnd => match array.take() {
                    Some(items) => Operand::Array(items),
                    None => continue,
                },
                Token::Number(n) => Operand::Number(n),
                Token::Name(name) => Operand::Name(name),
                Token::Str(bytes) => Operand::Str(bytes),
                Token::Operator(op) => {
                    array = None;
                    self.operator(op, &operands, resources, state, depth, budget)?;
                    operands.clear();
                    if budget.is_full(state.text.len()) {
                        return Ok(());
                    }
                    continue;
                }
            };
            match array.as_mut() {
                Some(items) if items.len() < MAX_ARRAY_ITEMS => items.push(operand),
                Some(_) => {}
                None => {
                    // Operators use the operands just before them: keep the latest few.
                    if operands.len() == MAX_OPERANDS {
                        operands.remove(0);
                    }
                    operands.push(operand);
                }
            }
        }
        Ok(())
    }

    fn operator(
        &mut self,
        op: &[u8],
        operands: &[Operand<'_>],
        resources: &[&'a Dictionary],
        state: &mut PageState<'a>,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<(), ExtractError> {
        let num = |i: usize| match operands.get(i) {
            Some(Operand::Number(n)) => *n,
            _ => 0.0,
        };
        let matrix = || Matrix([num(0), num(1), num(2), num(3), num(4), num(5)]);
        let gs = &mut state.gs;
        match op {
            b"q" if state.saved.len() < MAX_SAVED_STATES => state.saved.push(gs.clone()),
            b"Q" => {
                if let Some(saved) = state.saved.pop() {
                    state.gs = saved;
                }
            }
            b"cm" if operands.len() == 6 => gs.ctm = matrix().then(gs.ctm),
            b"BT" => {
                state.tm = Matrix::IDENTITY;
                state.tlm = Matrix::IDENTITY;
            }
            b"Tf" => {
                gs.size = num(1);
                gs.font = match operands.first() {
                    Some(Operand::Name(name)) => self.font(resources, name, budget)?,
                    _ => None,
                };
            }
            b"Tc" => gs.char_spacing = num(0),
            b"Tw" => gs.word_spacing = num(0),
            b"Tz" => gs.h_scale = num(0) / 100.0,
            b"TL" => gs.leading = num(0),
            b"Td" => move_line(state, num(0), num(1)),
            b"TD" => {
                gs.leading = -num(1);
                move_line(state, num(0), num(1));
            }
            b"Tm" if operands.len() == 6 => {
                state.tm = matrix();
                state.tlm = state.tm;
            }
            b"T*" => next_line(state),
            b"Tj" => show_operand(state, operands.first()),
            b"'" => {
                next_line(state);
                show_operand(state, operands.first());
            }
            b"\"" => {
                gs.word_spacing = num(0);
                gs.char_spacing = num(1);
                next_line(state);
                show_operand(state, operands.get(2));
            }
            b"TJ" => {
                if let Some(Operand::Array(items)) = operands.first() {
                    for item in items {
                        match item {
                            Operand::Number(n) => adjust(state, *n),
                            other => show_operand(state, Some(other)),
                        }
                    }
                }
            }
            b"Do" if depth < MAX_FORM_DEPTH => {
                if let Some(Operand::Name(name)) = operands.first() {
                    self.draw_form(name, resources, state, depth, budget)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Runs a form XObject's content in a saved graphics state.
    fn draw_form(
        &mut self,
        name: &[u8],
        resources: &[&'a Dictionary],
        state: &mut PageState<'a>,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<(), ExtractError> {
        let doc = self.doc;
        let Some(Object::Reference(id)) = lookup(doc, resources, b"XObject", name) else {
            return Ok(());
        };
        let Ok(form) = doc.get_object(*id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if form.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
            return Ok(());
        }
        let content = match self.forms.get(id) {
            Some(content) => Rc::clone(content),
            None => {
                let Some(bytes) = self.stream_bytes(*id)? else {
                    return Ok(());
                };
                let bytes = Rc::new(bytes);
                self.forms.insert(*id, Rc::clone(&bytes));
                bytes
            }
        };
        let own: Option<&'a Dictionary> =
            deref(doc, form.dict.get(b"Resources").ok()).and_then(|r| r.as_dict().ok());
        let form_resources: Vec<&'a Dictionary> = match own {
            Some(dict) => vec![dict],
            None => resources.to_vec(),
        };
        let saved = state.gs.clone();
        if let Some(m) = deref(doc, form.dict.get(b"Matrix").ok()).and_then(|m| m.as_array().ok()) {
            let values: Vec<f64> = m
                .iter()
                .map(|v| number(doc, Some(v)).unwrap_or(0.0))
                .collect();
            if let [a, b, c, d, e, f] = values[..] {
                state.gs.ctm = Matrix([a, b, c, d, e, f]).then(state.gs.ctm);
            }
        }
        let result = self.run(&content, &form_resources, state, depth + 1, budget);
        state.gs = saved;
        result
    }

    /// Resolves a font resource by name, caching what was read from it.
    fn font(
        &mut self,
        resources: &[&'a Dictionary],
        name: &[u8],
        budget: &Budget,
    ) -> Result<Option<Rc<FontInfo<'a>>>, ExtractError> {
        let doc = self.doc;
        let Some(entry) = lookup(doc, resources, b"Font", name) else {
            return Ok(None);
        };
        let Ok((id, object)) = doc.dereference(entry) else {
            return Ok(None);
        };
        let Ok(dict) = object.as_dict() else {
            return Ok(None);
        };
        let key = match id {
            Some(id) => FontKey::Object(id),
            None => FontKey::Inline(std::ptr::from_ref(dict) as usize),
        };
        if let Some(info) = self.fonts.get(&key) {
            return Ok(Some(Rc::clone(info)));
        }
        if self.fonts.len() >= MAX_FONTS {
            return Ok(None);
        }
        // Loading may inflate and parse a ToUnicode map: check the clock after each one.
        let info = Rc::new(FontInfo::load(doc, dict));
        budget.check()?;
        self.fonts.insert(key, Rc::clone(&info));
        Ok(Some(info))
    }
}

/// Finds `name` in the `category` (Font, XObject) of the first resource dictionary having it.
fn lookup<'a>(
    doc: &'a Document,
    resources: &[&'a Dictionary],
    category: &[u8],
    name: &[u8],
) -> Option<&'a Object> {
    let name = decode_name(name);
    resources.iter().find_map(|res| {
        let dict = deref(doc, res.get(category).ok())?.as_dict().ok()?;
        dict.get(&name).ok()
    })
}

/// Decodes `#xx` escapes in a name.
fn decode_name(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        let hex = name
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (name[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'#', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
