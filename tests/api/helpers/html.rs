//! Reading the server's HTML the way a browser submits it: forms, their
//! inputs and hidden fields, and the ids in per-row form actions.

/// The value of the first `name="csrf_token"` hidden input in `html`.
pub fn csrf_in(html: &str) -> Option<String> {
    hidden_value(html, "csrf_token")
}

/// The `value` of the hidden input named `name` in `html`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker)? + marker.len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// Decodes HTML character references (named, decimal and hex).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The HTML of the first `<form>` whose action is exactly `action`.
pub fn form_html<'a>(html: &'a str, action: &str) -> Option<&'a str> {
    let needle = format!("action=\"{action}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind("<form")?;
    let end = at + html[at..].find("</form>")?;
    Some(&html[start..end])
}

/// The value of attribute `name` in one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = tag[from..].find(&needle) {
        let at = from + i;
        let preceded_by_space = tag[..at].ends_with(|c: char| c.is_ascii_whitespace());
        if preceded_by_space {
            let rest = &tag[at + needle.len()..];
            return Some(unescape(&rest[..rest.find('"')?]));
        }
        from = at + needle.len();
    }
    None
}

/// One `<input>` or `<textarea>` of a form.
#[derive(Debug)]
pub struct Input {
    pub kind: String,
    pub name: String,
    pub value: String,
}

/// Every `<input>` and `<textarea>` of a form.
pub fn inputs(form: &str) -> Vec<Input> {
    let mut found = Vec::new();
    for tag_name in ["<input", "<textarea"] {
        let mut rest = form;
        while let Some(i) = rest.find(tag_name) {
            let tag_start = &rest[i..];
            let end = tag_start.find('>').unwrap_or(tag_start.len());
            let tag = &tag_start[..end];
            let kind = if tag_name == "<textarea" {
                "textarea".to_owned()
            } else {
                attr(tag, "type")
                    .unwrap_or_else(|| "text".to_owned())
                    .to_ascii_lowercase()
            };
            if let Some(name) = attr(tag, "name") {
                found.push(Input {
                    kind,
                    name,
                    value: attr(tag, "value").unwrap_or_default(),
                });
            }
            rest = &tag_start[end..];
        }
    }
    found
}

/// The hidden fields of a form, as a browser would submit them.
pub fn hidden_fields(form: &str) -> Vec<(String, String)> {
    inputs(form)
        .into_iter()
        .filter(|i| i.kind == "hidden")
        .map(|i| (i.name, i.value))
        .collect()
}

/// The ids in `/{prefix}/{id}/{suffix}` form actions, in page order.
pub fn ids_in(html: &str, prefix: &str, suffix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    let needle = format!("action=\"{prefix}");
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        if let Some(id) = after[..end].strip_suffix(suffix) {
            ids.push(id.to_owned());
        }
        rest = &after[end..];
    }
    ids
}
