//! What a judge sees: one session's events, in order.

/// One event of a session (the columns of `events` a judge uses).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// Position in the session.
    pub seq: i64,
    /// Timestamp, µs since the epoch.
    pub ts: Option<i64>,
    /// Event kind.
    pub kind: String,
    /// Message text.
    pub text: Option<String>,
    /// Tool call id.
    pub call_id: Option<String>,
    /// Tool name.
    pub tool: Option<String>,
    /// Tool args (JSON).
    pub args: Option<String>,
    /// Result / end status.
    pub status: Option<String>,
    /// Tool output.
    pub output: Option<String>,
    /// Context path.
    pub path: Option<String>,
    /// Error class.
    pub error_type: Option<String>,
    /// Error message.
    pub message: Option<String>,
}

impl Event {
    /// A user turn: a typed message or an edit of one.
    pub fn is_user_turn(&self) -> bool {
        matches!(self.kind.as_str(), "user_message" | "message_edit") && self.text.is_some()
    }
}

/// One session to judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// Events sorted by seq.
    pub events: Vec<Event>,
}

impl Session {
    /// Number of agentic steps (tool calls).
    pub fn step_count(&self) -> usize {
        self.events.iter().filter(|e| e.kind == "tool_call").count()
    }

    /// The user turns, in order.
    pub fn user_turns(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.is_user_turn())
    }
}

/// What a tool does, in words that never contain a tool's or file's own name.
pub fn tool_category(tool: Option<&str>) -> &'static str {
    let t = tool.unwrap_or("").to_lowercase();
    let has = |xs: &[&str]| xs.iter().any(|x| t.contains(x));
    if has(&[
        "edit",
        "write",
        "patch",
        "replace",
        "create",
        "apply",
        "multiedit",
        "str_replace",
    ]) {
        "file edit"
    } else if has(&["bash", "shell", "exec", "run", "command", "terminal", "cmd"]) {
        "shell command"
    } else if has(&["read", "view", "cat", "open"]) {
        "file read"
    } else if has(&["search", "grep", "glob", "find", "list", "ls"]) {
        "search"
    } else if has(&["web", "fetch", "browse", "http"]) {
        "web request"
    } else {
        "tool call"
    }
}
