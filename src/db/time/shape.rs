//! The shape of a stored timestamp's text (`YYYY-MM-DD HH:MM:SS` with an
//! optional fraction): split field by field, or checked 16 bytes at a time.

/// Stored text of this shape split into its fields. Only the shape and the
/// digits are checked here; whether the date and time exist is the caller's.
pub(super) struct StoredFields<'a> {
    /// `YYYY-MM-DD HH:MM:SS`.
    pub(super) text: &'a [u8; 19],
    /// The digits after the `.`, none to nine.
    pub(super) fraction: &'a [u8],
    pub(super) year: u32,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
}

impl<'a> StoredFields<'a> {
    pub(super) fn split(b: &'a [u8]) -> Option<Self> {
        let fraction = match b.len() {
            19 => &[][..],
            21..=29 if b[19] == b'.' => &b[20..],
            _ => return None,
        };
        let text: &[u8; 19] = b.get(..19)?.try_into().ok()?;
        let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
        let two = |at: usize| Some(digit(text[at])? * 10 + digit(text[at + 1])?);
        let shape = [text[4], text[7], text[10], text[13], text[16]] == *b"-- ::"
            && fraction.iter().all(u8::is_ascii_digit);
        shape.then_some(())?;
        Some(Self {
            text,
            fraction,
            year: two(0)? * 100 + two(2)?,
            month: two(5)?,
            day: two(8)?,
            hour: two(11)?,
            minute: two(14)?,
            second: two(17)?,
        })
    }

    /// The fraction as nanoseconds (digits past the ninth cannot occur).
    pub(super) fn nanos(&self) -> u32 {
        (0..9).fold(0, |n, i| {
            n * 10 + self.fraction.get(i).map_or(0, |&c| u32::from(c - b'0'))
        })
    }
}

/// 16 bytes of text as a pattern: a digit where the pattern has `0`, exactly
/// the pattern's byte anywhere else. Checked on all 16 bytes in a few integer
/// operations: each byte XOR its pattern byte must be below 10 (a digit) or
/// below 1 (the same byte), i.e. adding `0x80 - limit` must not reach the
/// byte's top bit. A byte that passes is below 0x80 and sums below 0x100, so
/// no carry crosses into the next byte; only a byte that fails can carry.
pub(super) struct Template {
    pattern: u128,
    add: u128,
}

impl Template {
    const HIGH_BITS: u128 = u128::from_ne_bytes([0x80; 16]);

    pub(super) const fn new(pattern: &[u8; 16]) -> Self {
        let mut add = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            add[i] = if pattern[i] == b'0' {
                0x80 - 10
            } else {
                0x80 - 1
            };
            i += 1;
        }
        Self {
            pattern: u128::from_ne_bytes(*pattern),
            add: u128::from_ne_bytes(add),
        }
    }

    pub(super) fn matches(&self, bytes: &[u8; 16]) -> bool {
        let diff = u128::from_ne_bytes(*bytes) ^ self.pattern;
        (diff.wrapping_add(self.add) | diff) & Self::HIGH_BITS == 0
    }
}

/// A date and time that exist (what chrono would build from the fields): a
/// month 1–12, a day of that month, a time of day without a leap second.
pub(super) fn is_real(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> bool {
    (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
}

/// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
