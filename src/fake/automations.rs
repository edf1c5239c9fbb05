//! The fake's automations themselves, as `list_automations` and
//! `get_automation` serve them: defined, deleted, enabled or disabled.

use super::FakeResend;
use super::state::{lock, stored};
use crate::status::AutomationStatus;
use crate::transport::generated::types::{Automation, AutomationListItem};

impl FakeResend {
    /// Defines (or redefines) an automation, as `list_automations` and
    /// `get_automation` serve it: the newest defined comes first.
    pub fn define_automation(&self, automation: &Automation) {
        let listed = AutomationListItem {
            id: automation.id.clone(),
            name: automation.name.clone(),
            status: automation.status.clone(),
            created_at: automation.created_at,
            updated_at: automation.updated_at,
        };
        let stored = stored(
            &automation.id,
            automation.status.as_str(),
            automation.created_at,
            &listed,
            automation,
        );
        let mut state = lock(&self.state);
        state.automation_defs.retain(|a| a.id != automation.id);
        state.automation_defs.insert(0, stored);
    }

    /// Deletes automation `automation_id` and its runs: it is no longer
    /// listed nor retrievable, and its runs' listing answers 404, as on
    /// Resend. `false` when there was no such automation.
    pub fn delete_automation(&self, automation_id: &str) -> bool {
        let mut state = lock(&self.state);
        let before = state.automation_defs.len();
        state.automation_defs.retain(|a| a.id != automation_id);
        let defined = state.automation_defs.len() < before;
        let had_runs = state.automations.remove(automation_id).is_some();
        defined || had_runs
    }

    /// Sets automation `automation_id`'s status (enabled, disabled) where
    /// it is listed and retrieved. `false` when it is not defined.
    pub fn set_automation_status(&self, automation_id: &str, status: AutomationStatus) -> bool {
        let mut state = lock(&self.state);
        let Some(def) = state
            .automation_defs
            .iter_mut()
            .find(|a| a.id == automation_id)
        else {
            return false;
        };
        let restatus = |json: &str| {
            let mut value: serde_json::Value =
                serde_json::from_str(json).expect("a stored automation parses");
            value["status"] = serde_json::Value::String(status.as_str().to_owned());
            value.to_string()
        };
        def.json = restatus(&def.json);
        def.detail = restatus(&def.detail);
        def.status = status.as_str().to_owned();
        true
    }
}
