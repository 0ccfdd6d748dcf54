//! One autodiff graph at a time per process.
//!
//! burn 0.22's autodiff client sweeps *every* live graph when any thread calls `backward`
//! (`GraphCleaner::cleanup_orphaned_entries`), so a graph another thread is still building can
//! lose steps and come back with a wrong gradient (tracel-ai/burn#5573). A training run builds
//! its graphs on one thread and never contends for this lock; it matters where several runs share
//! a process (the test harness, a library user training models on threads). Every forward pass
//! that ends in `backward` holds [`exclusive`] from its first op to the gradients.

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};

static GRAPH: ReentrantMutex<()> = ReentrantMutex::new(());

/// Holds the process-wide autodiff lock until dropped; re-entrant, so a caller holding it may
/// call code that takes it again (a test around a training step).
pub fn exclusive() -> ReentrantMutexGuard<'static, ()> {
    GRAPH.lock()
}
