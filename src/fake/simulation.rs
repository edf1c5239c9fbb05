//! A small simulation for demos: runs start and finish over time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::state::{State, lock};
use crate::status::RunStatus;

/// A running simulation (see [`FakeResend::simulate`](super::FakeResend::simulate));
/// it stops when dropped.
#[derive(Debug)]
pub struct Simulation {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Simulation {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn start(
    state: Arc<Mutex<State>>,
    automation_id: String,
    every: Duration,
) -> Simulation {
    let task = tokio::spawn(async move {
        let mut running: Vec<String> = Vec::new();
        let mut tick = 0u64;
        loop {
            tokio::time::sleep(every).await;
            tick = tick.wrapping_add(1);
            let mut state = lock(&state);
            if let Some(run) = state.start_automation_run(&automation_id, RunStatus::Running) {
                running.push(run.id);
            }
            // Every other tick the oldest running run ends, by rotation
            // completed, failed, completed, cancelled.
            if tick.is_multiple_of(2) && !running.is_empty() {
                let id = running.remove(0);
                let status = match tick % 8 {
                    2 => RunStatus::Failed,
                    6 => RunStatus::Cancelled,
                    _ => RunStatus::Completed,
                };
                state.set_run_status(&automation_id, &id, &status, None);
            }
        }
    });
    Simulation { task }
}
