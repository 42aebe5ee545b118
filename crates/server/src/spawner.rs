//! Leptos starts tasks of its own while it renders a page (each resource
//! a page reads, for one). Those run outside the request's task, so a
//! task-local set around the request, the audit trail's
//! [`backend::audit::Origin`], would be lost in them. The server gives
//! Leptos a spawner that starts each task on tokio, as Leptos' own does,
//! with the origin of the request that started it.

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
use backend::audit::Origin;

struct CarryOrigin;

impl CustomExecutor for CarryOrigin {
    fn spawn(&self, task: PinnedFuture<()>) {
        tokio::spawn(Origin::carried(task));
    }

    fn spawn_local(&self, task: PinnedLocalFuture<()>) {
        tokio::task::spawn_local(Origin::carried(task));
    }

    fn poll_local(&self) {}
}

/// Makes this the spawner for the process. Call before the first render;
/// later calls, as from several servers in one test process, change
/// nothing.
pub fn init() {
    let _ = Executor::init_custom_executor(CarryOrigin);
}
