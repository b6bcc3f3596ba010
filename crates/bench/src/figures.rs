//! Measured figures and their goals, and the three result files: `latest.json` (the layout the
//! issue fixes), `latest.md` (a table for people) and `history.jsonl` (one line per run, so
//! numbers can be compared across changes).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{BenchError, Result};

/// One number, its unit and, where the product promises one, the ceiling it must stay under.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub goal: Option<f64>,
}

impl Figure {
    pub fn met(&self) -> bool {
        self.goal.is_none_or(|goal| self.value <= goal)
    }
}

/// Everything measured at one N.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub services: usize,
    pub figures: Vec<Figure>,
    /// Why a phase was skipped or what went wrong, for people.
    pub notes: Vec<String>,
}

impl RunReport {
    pub fn new(services: usize) -> Self {
        Self { services, ..Self::default() }
    }

    pub fn add(&mut self, name: &str, value: f64, unit: &str, goal: Option<f64>) {
        self.figures.push(Figure { name: name.to_owned(), value, unit: unit.to_owned(), goal });
    }

    pub fn all_met(&self) -> bool {
        self.figures.iter().all(Figure::met)
    }

    fn figures_json(&self) -> Value {
        let figures: Map<String, Value> = self
            .figures
            .iter()
            .map(|f| (f.name.clone(), json!({"value": round(f.value), "unit": f.unit, "goal": f.goal, "met": f.met()})))
            .collect();
        Value::Object(figures)
    }
}

/// Three decimals are plenty and keep the files readable.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub struct Machine {
    pub cores: usize,
    pub commit: String,
}

pub fn write_latest(dir: &Path, machine: &Machine, runs: &[RunReport]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(BenchError::io(format!("creating {}", dir.display())))?;
    let latest = json!({
        "machine": {"cores": machine.cores, "commit": machine.commit},
        "runs": runs.iter().map(|r| json!({"services": r.services, "figures": r.figures_json()})).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&latest).map_err(|e| BenchError::Failed(e.to_string()))? + "\n";
    let path = dir.join("latest.json");
    std::fs::write(&path, text).map_err(BenchError::io(format!("writing {}", path.display())))?;
    let path = dir.join("latest.md");
    std::fs::write(&path, markdown(machine, runs)).map_err(BenchError::io(format!("writing {}", path.display())))
}

pub fn append_history(dir: &Path, machine: &Machine, date: &str, note: &str, runs: &[RunReport]) -> Result<()> {
    let path = dir.join("history.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(BenchError::io(format!("opening {}", path.display())))?;
    for run in runs {
        let line = json!({
            "date": date,
            "commit": machine.commit,
            "cores": machine.cores,
            "change": note,
            "services": run.services,
            "allMet": run.all_met(),
            "figures": run.figures_json(),
        });
        writeln!(file, "{line}").map_err(BenchError::io(format!("appending to {}", path.display())))?;
    }
    Ok(())
}

fn markdown(machine: &Machine, runs: &[RunReport]) -> String {
    let mut md = format!(
        "# ecs-operator benchmark\n\nMachine: {} cores, commit `{}`. Written by `ecs-operator-bench`; see \
         `history.jsonl` for earlier runs.\n",
        machine.cores, machine.commit
    );
    for run in runs {
        md.push_str(&format!("\n## N = {} services\n\n", run.services));
        md.push_str("| Figure | Value | Unit | Goal | Met |\n| --- | ---: | --- | ---: | :---: |\n");
        for f in &run.figures {
            let goal = f.goal.map_or_else(|| "—".to_owned(), |g| format!("≤ {}", round(g)));
            let met = if f.goal.is_none() {
                ""
            } else if f.met() {
                "yes"
            } else {
                "**no**"
            };
            md.push_str(&format!("| {} | {} | {} | {goal} | {met} |\n", f.name, round(f.value), f.unit));
        }
        for note in &run.notes {
            md.push_str(&format!("\n- {note}"));
        }
        if !run.notes.is_empty() {
            md.push('\n');
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_without_goal_is_met_and_one_over_its_goal_is_not() {
        let mut run = RunReport::new(10);
        run.add("a", 5.0, "s", None);
        run.add("b", 0.0, "calls", Some(0.0));
        assert!(run.all_met());
        run.add("c", 33.0, "MiB", Some(32.0));
        assert!(!run.all_met());
        let json = run.figures_json();
        assert_eq!(json["c"], json!({"value": 33.0, "unit": "MiB", "goal": 32.0, "met": false}));
        assert_eq!(json["a"]["goal"], Value::Null);
    }
}
