//! `FileStore`: a watch's state in a file per collection, written so that
//! a crash mid-write leaves the previous state: a temporary file, fsync,
//! rename over the old one, fsync of the folder. The file work runs on
//! tokio's blocking threads, so a slow or stalled disk never holds up the
//! runtime's.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use tokio::time::Instant;

use super::contract::{Lease, Renewal, StateStore};
use super::error::StoreError;
use super::lease::{self, Slot};
use crate::state::WatchState;

/// Each key's lease.
type Leases = HashMap<String, Slot>;

/// A store in a folder, one JSON file per collection
/// (`<folder>/<key>.json`, the key's `/` turned into `_`). The lease lives
/// in memory: one process per folder. A crash mid-write never leaves a
/// corrupt state: the previous one stays until the new one is whole on
/// disk; a state file that does not parse is an error, never a fresh start.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    leases: Arc<Mutex<Leases>>,
    /// The writes, in the order their commits were made.
    writes: Arc<Writes>,
}

/// The order of the writes: each commit's number, and per key the last
/// number written. A commit that outlived its deadline (a stalled disk)
/// may still write after a later one: it then writes nothing, so a state
/// never goes back to an older one.
#[derive(Debug, Default)]
struct Writes {
    next: std::sync::atomic::AtomicU64,
    written: Mutex<HashMap<String, u64>>,
}

impl Writes {
    /// The next commit's number.
    fn number(&self) -> u64 {
        self.next
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            .saturating_add(1)
    }

    /// Runs `write`, the commit numbered `n` of `key`, unless a later one
    /// was written; one write at a time.
    fn in_order(
        &self,
        key: &str,
        n: u64,
        write: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written.get(key).is_some_and(|&last| last > n) {
            return Ok(());
        }
        write()?;
        written.insert(key.to_owned(), n);
        Ok(())
    }
}

impl FileStore {
    /// A store in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            leases: Arc::default(),
            writes: Arc::default(),
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

    /// The state saved for `key`, if any. This reads the file on the
    /// calling thread: from async code, prefer a `spawn_blocking`.
    ///
    /// # Errors
    /// When the file cannot be read or is not a whole state.
    pub fn load(&self, key: &str) -> Result<Option<WatchState>, StoreError> {
        load(&self.path(key))
    }

    fn leases(&self) -> MutexGuard<'_, Leases> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `rule` to `key`'s lease.
    fn with<T>(&self, key: &str, rule: impl FnOnce(&mut Slot) -> T) -> T {
        rule(self.leases().entry(key.to_owned()).or_default())
    }
}

/// Runs file work on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::new(format!("the file store's worker failed: {e}")))?
}

/// The state in the file at `path`, if there is one.
fn load(path: &Path) -> Result<Option<WatchState>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: not a whole watch state: {e}", path.display()).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display()).into()),
    }
}

/// Writes `json` to `path` in `dir`: whole, or not at all.
fn save(dir: &Path, path: &Path, json: &[u8]) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(json)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    sync_dir(dir);
    Ok(())
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
            let taken = self.with(key, |h| {
                lease::take(h, holder, ttl, Instant::now(), SystemTime::now())
            });
            let token = match taken {
                Ok(token) => token,
                Err(taken) => return Ok(taken.into()),
            };
            let path = self.path(key);
            let state = blocking(move || load(&path)).await?;
            Ok(Lease::Held { state, token })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        let renewal = self.with(key, |h| lease::renew(h, holder, token, ttl, Instant::now()));
        Box::pin(async move { Ok(renewal) })
    }

    fn commit<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
        ttl: Duration,
        state: &'a WatchState,
    ) -> BoxFuture<'a, Result<Renewal, StoreError>> {
        Box::pin(async move {
            // The lease lock is released before any file work.
            let renewal = self.with(key, |h| lease::renew(h, holder, token, ttl, Instant::now()));
            if renewal != Renewal::Held {
                return Ok(renewal);
            }
            let json = serde_json::to_vec(state)?;
            let (dir, path) = (self.dir.clone(), self.path(key));
            let (writes, n, key) = (
                Arc::clone(&self.writes),
                self.writes.number(),
                key.to_owned(),
            );
            blocking(move || writes.in_order(&key, n, || save(&dir, &path, &json))).await?;
            Ok(Renewal::Held)
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        token: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.with(key, |h| lease::release(h, holder, token));
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Change;

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
        first.apply(&Change::Began {
            baseline: Vec::new(),
            backfill: false,
            clock: None,
        });
        assert_eq!(
            store.acquire(key, "h", ttl).await.unwrap(),
            Lease::Held {
                state: None,
                token: 1
            }
        );
        assert_eq!(
            store.commit(key, "h", 1, ttl, &first).await.unwrap(),
            Renewal::Held
        );
        // A crash while writing the next state: its temporary file is cut
        // off and never renamed.
        let mut next = first.clone();
        next.apply(&Change::Seen {
            id: "r1".into(),
            created_at: "2026-10-01 12:00:00+00".parse().unwrap(),
            status: resend_workflows::RunStatus::Running,
        });
        let json = serde_json::to_vec_pretty(&next).unwrap();
        let tmp = store.path(key).with_extension("json.tmp-999");
        std::fs::write(&tmp, &json[..json.len() / 2]).unwrap();
        let reopened = FileStore::new(&dir);
        assert_eq!(reopened.load(key).unwrap(), Some(first.clone()));
        assert_eq!(
            reopened.acquire(key, "h2", ttl).await.unwrap(),
            Lease::Held {
                state: Some(first),
                token: 1
            }
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
    async fn only_the_holder_commits_expired_or_not() {
        let dir = temp_dir("expired");
        let store = FileStore::new(&dir);
        let ttl = Duration::from_secs(10);
        let key = "automations/e/runs";
        let state = WatchState::new(key);
        assert_eq!(
            store.acquire(key, "h", ttl).await.unwrap(),
            Lease::Held {
                state: None,
                token: 1
            }
        );
        assert!(matches!(
            store.commit(key, "never", 1, ttl, &state).await.unwrap(),
            Renewal::TakenBy { holder, .. } if holder == "h"
        ));
        assert_eq!(store.load(key).unwrap(), None, "nothing saved");
        tokio::time::sleep(Duration::from_secs(10)).await;
        // Expired, and nobody took it over: still h's, as in every store.
        assert_eq!(
            store.commit(key, "h", 1, ttl, &state).await.unwrap(),
            Renewal::Held
        );
        assert_eq!(store.load(key).unwrap(), Some(state.clone()));
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(
            store.acquire(key, "other", ttl).await.unwrap(),
            Lease::Held {
                state: Some(state.clone()),
                token: 2
            }
        );
        assert!(matches!(
            store.commit(key, "h", 1, ttl, &state).await.unwrap(),
            Renewal::TakenBy { holder, .. } if holder == "other"
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    // A commit that outlived its deadline (a stalled disk) writes after a
    // later one: it writes nothing.
    #[test]
    fn a_late_write_never_goes_back_to_an_older_state() {
        let writes = Writes::default();
        let (first, second) = (writes.number(), writes.number());
        assert_eq!((first, second), (1, 2));
        let done = std::cell::RefCell::new(Vec::new());
        let push = |what| {
            done.borrow_mut().push(what);
            Ok(())
        };
        writes.in_order("k", second, || push("second")).unwrap();
        writes.in_order("k", first, || push("first")).unwrap();
        writes.in_order("other", first, || push("other")).unwrap();
        let third = writes.number();
        writes.in_order("k", third, || push("third")).unwrap();
        assert_eq!(done.into_inner(), ["second", "other", "third"]);
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
