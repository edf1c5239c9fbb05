//! Open status enums and the status filter, replacing generated types: a
//! status the crate does not know yet decodes as `Unknown`, carrying the
//! string, instead of failing the whole page.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{InvalidArgument, InvalidReason};

macro_rules! open_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )* }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
            /// A value this version of the crate does not know, as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// Every value this version of the crate knows.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }

            fn from_wire(s: Cow<'_, str>) -> Self {
                match &*s {
                    $( $wire => Self::$variant, )*
                    _ => Self::Unknown(s.into_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(Cow::Borrowed(s)))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Borrow where the input allows: known values cost no allocation.
                let s = <Cow<'de, str> as Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_wire(s))
            }
        }
    };
}

open_enum!(
    /// The state of a run, of a workflow or of an automation.
    ///
    /// Open: the API was in alpha, and a status this crate does not know
    /// decodes as [`RunStatus::Unknown`] instead of failing the page.
    ///
    /// ```
    /// use resend_workflows::RunStatus;
    ///
    /// assert_eq!("completed".parse::<RunStatus>().unwrap(), RunStatus::Completed);
    /// let new: RunStatus = "paused".parse().unwrap();
    /// assert_eq!(new, RunStatus::Unknown("paused".into()));
    /// assert_eq!(new.as_str(), "paused");
    /// ```
    RunStatus {
        /// The run is in progress.
        Running = "running",
        /// The run finished successfully.
        Completed = "completed",
        /// The run failed.
        Failed = "failed",
        /// The run was cancelled.
        Cancelled = "cancelled",
        /// The run was skipped (Resend's dashboard guide: an email step of
        /// a contact who unsubscribed); final.
        Skipped = "skipped",
    }
);

impl RunStatus {
    /// Whether the run has ended: completed, failed, cancelled or skipped.
    /// A status the crate does not know counts as not ended: it is never
    /// taken for final.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::Skipped
        )
    }
}

/// The name the workflows API documentation uses for [`RunStatus`].
pub type WorkflowRunStatus = RunStatus;

open_enum!(
    /// The state of one step of an automation run. Open, like [`RunStatus`].
    StepStatus {
        /// Not started yet.
        Pending = "pending",
        /// In progress.
        Running = "running",
        /// Finished successfully.
        Completed = "completed",
        /// Failed.
        Failed = "failed",
        /// Not run: its branch was not taken.
        Skipped = "skipped",
        /// Waiting for an event or a delay.
        Waiting = "waiting",
    }
);

open_enum!(
    /// What an automation step does. Open, like [`RunStatus`].
    StepType {
        /// The event that starts the automation.
        Trigger = "trigger",
        /// Sends an email.
        SendEmail = "send_email",
        /// Waits for a duration.
        Delay = "delay",
        /// Waits for an event, or a timeout.
        WaitForEvent = "wait_for_event",
        /// Branches on a rule.
        Condition = "condition",
        /// Updates the contact.
        ContactUpdate = "contact_update",
        /// Deletes the contact.
        ContactDelete = "contact_delete",
        /// Adds the contact to a segment.
        AddToSegment = "add_to_segment",
    }
);

open_enum!(
    /// Whether an automation runs. Open, like [`RunStatus`].
    AutomationStatus {
        /// New events start runs.
        Enabled = "enabled",
        /// New events start nothing.
        Disabled = "disabled",
    }
);

open_enum!(
    /// When a connection between two automation steps is followed. Open,
    /// like [`RunStatus`]; absent on the wire means `default`.
    ConnectionType {
        /// Always, once the step is done.
        Default = "default",
        /// From a condition whose rule held.
        ConditionMet = "condition_met",
        /// From a condition whose rule did not hold.
        ConditionNotMet = "condition_not_met",
        /// From a wait whose timeout passed.
        Timeout = "timeout",
        /// From a wait whose event came.
        EventReceived = "event_received",
    }
);

impl AutomationStatus {
    /// Checks the status can be sent as a filter: lowercase ASCII letters
    /// and `_` (an `Unknown` one too), so it cannot change the query.
    pub(crate) fn check(&self) -> Result<(), InvalidArgument> {
        check_filter_value(self.as_str())
    }
}

/// A filter value must be non-empty lowercase ASCII letters and `_`.
fn check_filter_value(s: &str) -> Result<(), InvalidArgument> {
    if s.is_empty() {
        return Err(InvalidArgument::new("status", s, InvalidReason::Empty));
    }
    match s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_lowercase() || c == '_'))
    {
        Some((at, ch)) => Err(InvalidArgument::new(
            "status",
            s,
            InvalidReason::ForbiddenChar { ch, at },
        )),
        None => Ok(()),
    }
}

/// A set of run statuses to filter by, sent as one comma-separated `status`
/// parameter (`failed,cancelled`). Order is kept, duplicates dropped.
///
/// ```
/// use resend_workflows::{RunStatus, StatusFilter};
///
/// let filter: StatusFilter = [RunStatus::Failed, RunStatus::Cancelled, RunStatus::Failed].into_iter().collect();
/// assert_eq!(filter.to_string(), "failed,cancelled");
/// assert!(filter.contains(&RunStatus::Failed));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct StatusFilter(Vec<RunStatus>);

impl StatusFilter {
    /// The statuses, in the order given.
    pub fn statuses(&self) -> &[RunStatus] {
        &self.0
    }

    /// Whether `status` passes the filter.
    pub fn contains(&self, status: &RunStatus) -> bool {
        self.0.contains(status)
    }

    /// Checks the filter can be sent: not empty, and every value (an
    /// `Unknown` one too) made of lowercase ASCII letters and `_`, so it
    /// cannot change the query.
    pub(crate) fn check(&self) -> Result<(), InvalidArgument> {
        if self.0.is_empty() {
            return Err(InvalidArgument::new("status", "", InvalidReason::Empty));
        }
        self.0
            .iter()
            .try_for_each(|status| check_filter_value(status.as_str()))
    }
}

impl FromIterator<RunStatus> for StatusFilter {
    fn from_iter<I: IntoIterator<Item = RunStatus>>(iter: I) -> Self {
        let mut statuses = Vec::new();
        for status in iter {
            if !statuses.contains(&status) {
                statuses.push(status);
            }
        }
        Self(statuses)
    }
}

impl From<RunStatus> for StatusFilter {
    fn from(status: RunStatus) -> Self {
        Self(vec![status])
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, status) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(status.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for StatusFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
