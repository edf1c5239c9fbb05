//! `FileStore`: a watch's state in a file per collection, written so that
//! a crash mid-write leaves the previous state: a temporary file, fsync,
//! rename over the old one, fsync of the folder.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::state::WatchState;
use super::store::{Lease, StateStore, StoreError, renew_lease, take_lease};

/// Each key's lease holder and expiry.
type Leases = HashMap<String, Option<(String, Instant)>>;

/// A store in a folder, one JSON file per collection
/// (`<folder>/<key>.json`, the key's `/` turned into `_`). The lease lives
/// in memory: one process per folder. A crash mid-write never leaves a
/// corrupt state: the previous one stays until the new one is whole on
/// disk; a state file that does not parse is an error, never a fresh start.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    leases: Arc<Mutex<Leases>>,
}

impl FileStore {
    /// A store in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            leases: Arc::default(),
        }
    }

    /// The file that holds `key`'s state.
    pub fn path(&self, key: &str) -> PathBuf {
        let name: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The state saved for `key`, if any.
    ///
    /// # Errors
    /// When the file cannot be read or is not a whole state.
    pub fn load(&self, key: &str) -> Result<Option<WatchState>, StoreError> {
        let path = self.path(key);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: not a whole watch state: {e}", path.display()).into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display()).into()),
        }
    }

    /// Writes `state` for `key`: whole, or not at all.
    fn save(&self, key: &str, state: &WatchState) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(key);
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        let json = serde_json::to_vec_pretty(state)?;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        sync_dir(&self.dir);
        Ok(())
    }

    fn leases(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.leases.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Makes a rename durable; a folder that cannot be opened (some platforms)
/// leaves it to the file system.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl StateStore for FileStore {
    fn acquire<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        Box::pin(async move {
            // The lock is released at the end of the statement, before any I/O.
            let taken = take_lease(
                self.leases().entry(key.to_owned()).or_default(),
                holder,
                ttl,
                Instant::now(),
            );
            if let Err(taken) = taken {
                return Ok(taken);
            }
            Ok(Lease::Held(self.load(key)?))
        })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let held = renew_lease(
                self.leases().entry(key.to_owned()).or_default(),
                holder,
                ttl,
                Instant::now(),
            );
            if !held {
                return Ok(false);
            }
            self.save(key, state)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("resend-filestore-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn a_write_cut_mid_way_leaves_the_previous_state() {
        let dir = temp_dir("cut");
        let store = FileStore::new(&dir);
        let ttl = Duration::from_secs(30);
        let key = "automations/a/runs";
        let mut first = WatchState::new(key);
        first.set_started();
        assert_eq!(
            store.acquire(key, "h", ttl).await.unwrap(),
            Lease::Held(None)
        );
        assert!(store.commit(key, "h", ttl, &first).await.unwrap());
        // A crash while writing the next state: its temporary file is cut
        // off and never renamed.
        let mut next = first.clone();
        next.advance("r1", "2026-10-01 12:00:00+00".parse().unwrap());
        let json = serde_json::to_vec_pretty(&next).unwrap();
        let tmp = store.path(key).with_extension("json.tmp-999");
        std::fs::write(&tmp, &json[..json.len() / 2]).unwrap();
        let reopened = FileStore::new(&dir);
        assert_eq!(reopened.load(key).unwrap(), Some(first.clone()));
        assert_eq!(
            reopened.acquire(key, "h2", ttl).await.unwrap(),
            Lease::Held(Some(first))
        );
        // A state file itself cut off is an error, never a fresh start.
        let whole = std::fs::read(store.path(key)).unwrap();
        std::fs::write(store.path(key), &whole[..whole.len() / 2]).unwrap();
        let err = reopened.load(key).unwrap_err().to_string();
        assert!(err.contains("not a whole watch state"), "{err}");
        assert!(reopened.acquire(key, "h2", ttl).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn a_holder_whose_lease_expired_commits_nothing() {
        let dir = temp_dir("expired");
        let store = FileStore::new(&dir);
        let ttl = Duration::from_secs(10);
        let key = "automations/e/runs";
        let state = WatchState::new(key);
        assert_eq!(
            store.acquire(key, "h", ttl).await.unwrap(),
            Lease::Held(None)
        );
        assert!(!store.commit(key, "never", ttl, &state).await.unwrap());
        tokio::time::sleep(Duration::from_secs(10)).await;
        // Expired, even though nobody took it over yet: as every store.
        assert!(!store.commit(key, "h", ttl, &state).await.unwrap());
        assert_eq!(store.load(key).unwrap(), None, "nothing saved");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keys_become_safe_file_names() {
        let store = FileStore::new("/tmp/x");
        assert_eq!(
            store.path("automations/a-1/runs"),
            PathBuf::from("/tmp/x/automations_a-1_runs.json")
        );
        assert_eq!(
            store.path("../../etc"),
            PathBuf::from("/tmp/x/______etc.json")
        );
    }
}
