//! Progress as the run goes: a spinner per step for people, one JSON line per event
//! (on stderr) for machines. Nothing secret is ever passed here.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::time::Duration;

pub enum Reporter {
    Human { bar: Option<ProgressBar> },
    Json,
}

impl Reporter {
    pub fn new(json: bool) -> Self {
        if json {
            Reporter::Json
        } else {
            Reporter::Human { bar: None }
        }
    }

    fn event(step: &str, status: &str, message: &str) {
        eprintln!(
            "{}",
            json!({ "step": step, "status": status, "message": message })
        );
    }

    pub fn start(&mut self, step: &str, message: &str) {
        match self {
            Reporter::Json => Self::event(step, "started", message),
            Reporter::Human { bar } => {
                let spinner = ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} [{prefix}] {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                spinner.set_prefix(step.to_owned());
                spinner.set_message(message.to_owned());
                spinner.enable_steady_tick(Duration::from_millis(120));
                *bar = Some(spinner);
            }
        }
    }

    pub fn progress(&mut self, step: &str, message: &str) {
        match self {
            Reporter::Json => Self::event(step, "progress", message),
            Reporter::Human { bar: Some(bar) } => bar.set_message(message.to_owned()),
            Reporter::Human { bar: None } => eprintln!("[{step}] {message}"),
        }
    }

    pub fn done(&mut self, step: &str, message: &str) {
        match self {
            Reporter::Json => Self::event(step, "done", message),
            Reporter::Human { bar } => match bar.take() {
                Some(bar) => bar.finish_with_message(format!("✓ {message}")),
                None => eprintln!("[{step}] ✓ {message}"),
            },
        }
    }

    pub fn fail(&mut self, message: &str) {
        match self {
            Reporter::Json => Self::event("run", "failed", message),
            Reporter::Human { bar } => {
                if let Some(bar) = bar.take() {
                    bar.abandon_with_message(format!("✗ {message}"));
                } else {
                    eprintln!("✗ {message}");
                }
            }
        }
    }
}
