//! `TaskDraft`: a new task's fields, validated together.

use std::collections::BTreeMap;

use super::{Description, TaskTitle};

/// A task about to be created: title trimmed and 1–200 characters, description ≤ 2000.
#[derive(Debug, Clone)]
pub struct TaskDraft {
    pub title: String,
    pub description: Option<String>,
}

impl TaskDraft {
    /// Checks both fields; on failure every field's reason, by field name.
    pub fn parse(title: &str, description: Option<&str>) -> Result<Self, BTreeMap<String, String>> {
        let mut fields = BTreeMap::new();
        let title = TaskTitle::parse(title)
            .map_err(|e| fields.insert("title".into(), e.to_string()))
            .ok();
        let description = description
            .map(Description::parse)
            .transpose()
            .map_err(|e| fields.insert("description".into(), e.to_string()))
            .ok();
        match (title, description) {
            (Some(t), Some(d)) if fields.is_empty() => Ok(Self {
                title: t.into_inner(),
                description: d.map(Description::into_inner),
            }),
            _ => Err(fields),
        }
    }
}
