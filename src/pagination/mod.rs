//! Pagination, written once for every collection: where a page starts
//! (`position.rs`), the options and their validation (`options.rs`), the
//! page (`page.rs`), the traversal guard (`guard.rs`) with its
//! boundary-repeat rule (`overlap.rs`), and the streams (`stream.rs`). Each file imports only those before it.

mod guard;
mod options;
mod overlap;
mod page;
mod position;
mod stream;

pub use guard::Traversal;
pub(crate) use options::ListOptions;
pub(crate) use page::sealed::Sealed as ItemSealed;
pub use page::{ListItem, Page, RunItem};
pub use position::Direction;
pub use position::Position;
pub(crate) use stream::FetchPage;
pub use stream::{ItemStream, PageStream};
