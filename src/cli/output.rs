//! Plain-text tables for people; JSON for scripts. Table cells show anything
//! non-printable escaped, so stored text cannot move the cursor, recolour the
//! terminal or forge a row.

use serde::Serialize;

/// Prints `rows` as JSON (one array) or as an aligned table with `headers`.
pub fn print<T: Serialize>(
    json: bool,
    headers: &[&str],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("(none)");
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cells(r).iter().map(|c| escape(c)).collect())
        .collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            table
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cols: Vec<String>| {
        cols.iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!(
        "{}",
        line(headers.iter().map(|h| (*h).to_owned()).collect())
    );
    for row in table {
        println!("{}", line(row));
    }
    Ok(())
}

/// `text` with control and other non-printable characters (Unicode Cc, Cf,
/// line and paragraph separators) written as Rust escapes (`\u{1b}`); a
/// backslash is doubled so an escape cannot be faked.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() || is_invisible(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Format characters that change how a line reads (bidirectional overrides,
/// zero-width characters) and the Unicode line separators.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_printable_characters_are_escaped_and_text_is_kept() {
        assert_eq!(escape("ci token é"), "ci token é");
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\ny\tz"), "x\\u{a}y\\u{9}z");
        assert_eq!(escape("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape("a\\u{1b}"), "a\\\\u{1b}");
    }
}
