//! Resource limits and the per-extraction budget that enforces them.

use std::time::{Duration, Instant};

use crate::ExtractError;

/// Safety limits applied to every extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input file, in bytes (default 10 MiB).
    pub max_input_bytes: usize,
    /// Largest total uncompressed size of ZIP entries, PDF streams or spreadsheet cells (default 100 MiB).
    pub max_expanded_bytes: u64,
    /// Most entries accepted in a ZIP container (default 2,000).
    pub max_zip_entries: usize,
    /// Deepest accepted XML element nesting (default 256).
    pub max_xml_depth: usize,
    /// Longest returned text, in characters; longer text is truncated cleanly (default 5,000,000).
    pub max_output_chars: usize,
    /// Wall-clock budget for one extraction (default 30 s).
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 10 * 1024 * 1024,
            max_expanded_bytes: 100 * 1024 * 1024,
            max_zip_entries: 2_000,
            max_xml_depth: 256,
            max_output_chars: 5_000_000,
            timeout: Duration::from_secs(30),
        }
    }
}

/// How many [`Budget::tick`] calls pass between two clock readings.
const TICKS_PER_CLOCK_CHECK: u32 = 1024;

/// The running budget of one extraction: a deadline and an output cap.
#[derive(Debug)]
pub(crate) struct Budget {
    deadline: Instant,
    max_raw_bytes: usize,
    ticks: u32,
}

impl Budget {
    /// Starts the clock for one extraction under `limits`.
    pub(crate) fn new(limits: &Limits) -> Self {
        let now = Instant::now();
        Self {
            deadline: now
                .checked_add(limits.timeout)
                .unwrap_or(now + Duration::from_secs(3600)),
            // A character is at most 4 bytes; the slack lets whitespace collapse without losing text.
            max_raw_bytes: limits
                .max_output_chars
                .saturating_mul(4)
                .saturating_add(64 * 1024),
            ticks: 0,
        }
    }

    /// Fails with [`ExtractError::Timeout`] once the deadline has passed.
    pub(crate) fn check(&self) -> Result<(), ExtractError> {
        if Instant::now() >= self.deadline {
            Err(ExtractError::Timeout)
        } else {
            Ok(())
        }
    }

    /// Cheap periodic deadline check for hot loops: reads the clock every 1,024 calls.
    pub(crate) fn tick(&mut self) -> Result<(), ExtractError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(TICKS_PER_CLOCK_CHECK) {
            self.check()
        } else {
            Ok(())
        }
    }

    /// True once `raw_len` bytes of collected text exceed what the output cap can keep.
    pub(crate) fn is_full(&self, raw_len: usize) -> bool {
        raw_len > self.max_raw_bytes
    }
}
