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
        .map(|r| cells(r).iter().map(|c| printable(c)).collect())
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

/// `text` safe to print in a terminal table: control characters, line and
/// paragraph separators, and invisible formatting characters (bidirectional
/// overrides, zero-width characters) are written as `\u{…}` escapes, and a
/// backslash as `\\`, so a cell can neither move the cursor nor disguise
/// what it says.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let invisible = matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        );
        if c == '\\' {
            out.push_str("\\\\");
        } else if c.is_control() || invisible {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn non_printable_characters_are_escaped() {
        assert_eq!(printable("plain text é"), "plain text é");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("line\nbreak\t"), "line\\u{a}break\\u{9}");
        assert_eq!(printable("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(printable("back\\slash"), "back\\\\slash");
    }
}
