//! Text and graphics state of a page being interpreted, and how shown strings are placed.

use std::rc::Rc;

use super::font::FontInfo;
use super::interpret::Operand;

/// An affine matrix `[a b c d e f]` (PDF row-vector convention).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Matrix(pub(super) [f64; 6]);

impl Matrix {
    pub(super) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    pub(super) fn translate(tx: f64, ty: f64) -> Self {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self × other`: apply `self` first, then `other`.
    pub(super) fn then(self, other: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = other.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    /// Linear scale factor (square root of the determinant's magnitude).
    fn scale(self) -> f64 {
        let [a, b, c, d, _, _] = self.0;
        (a * d - b * c).abs().sqrt()
    }
}

/// Where the previous glyph run ended, in device space.
#[derive(Debug, Clone, Copy)]
struct LastRun {
    x_end: f64,
    y: f64,
    size: f64,
}

/// Graphics state parameters that matter for text.
#[derive(Clone)]
pub(super) struct GraphicsState<'a> {
    pub(super) ctm: Matrix,
    pub(super) font: Option<Rc<FontInfo<'a>>>,
    pub(super) size: f64,
    pub(super) char_spacing: f64,
    pub(super) word_spacing: f64,
    pub(super) h_scale: f64,
    pub(super) leading: f64,
}

impl Default for GraphicsState<'_> {
    fn default() -> Self {
        Self {
            ctm: Matrix::IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
        }
    }
}

/// The state of one page being interpreted.
#[derive(Default)]
pub(super) struct PageState<'a> {
    pub(super) gs: GraphicsState<'a>,
    pub(super) saved: Vec<GraphicsState<'a>>,
    pub(super) tm: Matrix,
    pub(super) tlm: Matrix,
    pub(super) text: String,
    last: Option<LastRun>,
}

impl Default for Matrix {
    fn default() -> Self {
        Matrix::IDENTITY
    }
}

pub(super) fn move_line(state: &mut PageState<'_>, tx: f64, ty: f64) {
    state.tlm = Matrix::translate(tx, ty).then(state.tlm);
    state.tm = state.tlm;
}

pub(super) fn next_line(state: &mut PageState<'_>) {
    let leading = state.gs.leading;
    move_line(state, 0.0, -leading);
}

/// A `TJ` number: moves left by `n` thousandths of the font size; a large gap is a space.
pub(super) fn adjust(state: &mut PageState<'_>, n: f64) {
    let gs = &state.gs;
    let tx = -n / 1000.0 * gs.size * gs.h_scale;
    state.tm = Matrix::translate(tx, 0.0).then(state.tm);
    if n < -200.0 && !state.text.is_empty() && !state.text.ends_with(char::is_whitespace) {
        state.text.push(' ');
    }
}

pub(super) fn show_operand(state: &mut PageState<'_>, operand: Option<&Operand<'_>>) {
    if let Some(Operand::Str(bytes)) = operand {
        show(state, bytes);
    }
}

/// Shows a string: decodes it, separates it from the previous run by a newline or space
/// according to positions, and advances the text matrix.
pub(super) fn show(state: &mut PageState<'_>, bytes: &[u8]) {
    let Some(font) = state.gs.font.clone() else {
        return;
    };
    let gs = &state.gs;
    let trm = state.tm.then(gs.ctm);
    let size = (gs.size * trm.scale()).abs().max(0.1);
    let (x, y) = (trm.0[4], trm.0[5]);
    if let Some(text) = font.decode(bytes).filter(|t| !t.is_empty()) {
        if let Some(last) = state.last {
            let line_size = size.max(last.size);
            let dy = (y - last.y).abs();
            if dy > line_size * 0.5 {
                state
                    .text
                    .push_str(if dy > line_size * 2.0 { "\n\n" } else { "\n" });
            } else if x - last.x_end > size * 0.15
                && !state.text.ends_with(char::is_whitespace)
                && !text.starts_with(char::is_whitespace)
            {
                state.text.push(' ');
            }
        }
        state.text.push_str(&text);
    }
    let advance = font.advance(bytes, gs.size, gs.char_spacing, gs.word_spacing) * gs.h_scale;
    state.tm = Matrix::translate(advance, 0.0).then(state.tm);
    let end = state.tm.then(state.gs.ctm);
    state.last = Some(LastRun {
        x_end: end.0[4],
        y,
        size,
    });
}
