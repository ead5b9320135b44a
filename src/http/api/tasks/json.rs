//! A page of tasks as JSON, written straight into the response's bytes.
//!
//! The same text `serde_json` makes of `TaskList { tasks: Vec<TaskJson>, total }`
//! (the test below holds them equal), for about half the instructions: the
//! keys, ids, booleans and timestamps need no escaping, so only the user's
//! text (title, description) goes through `serde_json`'s string escaper. A
//! page of 20 tasks spent a quarter of its CPU in serialisation (BENCHMARKS.md).

use std::io::Write;

use crate::db::blob::Utf8Text;
use crate::db::tasks::ListedTask;

/// `{"tasks":[…],"total":N}`.
pub fn page(tasks: &[ListedTask], total: i64) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(32 + tasks.len() * 200);
    out.extend_from_slice(b"{\"tasks\":[");
    for (i, task) in tasks.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_task(&mut out, task)?;
    }
    write!(out, "],\"total\":{total}}}").map_err(serde_json::Error::io)?;
    Ok(out)
}

fn write_task(out: &mut Vec<u8>, t: &ListedTask) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(t.id.as_bytes());
    out.extend_from_slice(b"\",\"title\":");
    serde_json::to_writer(&mut *out, t.title.as_str())?;
    out.extend_from_slice(b",\"description\":");
    serde_json::to_writer(&mut *out, &t.description.as_ref().map(Utf8Text::as_str))?;
    out.extend_from_slice(if t.completed {
        b",\"completed\":true,\"created_at\":\""
    } else {
        b",\"completed\":false,\"created_at\":\""
    });
    out.extend_from_slice(t.created_at.as_bytes());
    out.extend_from_slice(b"\",\"updated_at\":\"");
    out.extend_from_slice(t.updated_at.as_bytes());
    out.extend_from_slice(b"\"}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde::Serialize;

    use super::*;
    use crate::db::tasks::Task;
    use crate::domain::TaskId;
    use crate::http::api::dto::TaskJson;

    #[derive(Serialize)]
    struct TaskList {
        tasks: Vec<TaskJson>,
        total: i64,
    }

    fn task(title: &str, description: Option<&str>, completed: bool, year: i32) -> Task {
        let at = NaiveDate::from_ymd_opt(year, 2, 28)
            .unwrap()
            .and_hms_micro_opt(23, 59, 58, 123_456)
            .unwrap();
        Task {
            id: TaskId::new(),
            title: title.to_owned(),
            description: description.map(str::to_owned),
            completed,
            created_at: at,
            updated_at: at + chrono::Duration::microseconds(1),
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let tasks = [
            task("plain", None, false, 2026),
            task(
                "quote \" backslash \\ slash /",
                Some("tab\there\nnewline"),
                true,
                1,
            ),
            task("\u{0}\u{1f}\u{7f} control", Some(""), false, 9999),
            task(
                "ünïcødé ✓ 🚀 \u{2028}\u{202e}",
                Some("</script><!--"),
                true,
                10_000,
            ),
            task("", Some("\\u0000 stays text"), false, -5),
        ];
        for n in 0..=tasks.len() {
            let expected = serde_json::to_vec(&TaskList {
                tasks: tasks[..n].iter().cloned().map(TaskJson::from).collect(),
                total: i64::try_from(n).unwrap() * 1000,
            })
            .unwrap();
            let listed: Vec<ListedTask> =
                tasks[..n].iter().cloned().map(ListedTask::from).collect();
            let written = page(&listed, i64::try_from(n).unwrap() * 1000).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
