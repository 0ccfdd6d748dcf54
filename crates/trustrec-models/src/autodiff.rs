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

/// Counts a module's float parameters and those whose gradient is missing, zero or not finite:
/// the every-parameter-gets-a-gradient check that every model's tests make.
pub struct GradCensus<'a> {
    pub grads: &'a burn::optim::GradientsParams,
    pub total: usize,
    pub missing: usize,
}

impl<'a> GradCensus<'a> {
    /// `(parameters, parameters without a usable gradient)` of `module`.
    pub fn count<M: burn::module::Module>(
        module: &M,
        grads: &'a burn::optim::GradientsParams,
    ) -> (usize, usize) {
        let mut c = Self {
            grads,
            total: 0,
            missing: 0,
        };
        module.visit(&mut c);
        (c.total, c.missing)
    }
}

impl burn::module::ModuleVisitor for GradCensus<'_> {
    fn visit_float<const D: usize>(
        &mut self,
        param: &burn::module::Param<burn::tensor::Tensor<D>>,
    ) {
        self.total += 1;
        let norm = self
            .grads
            .get::<D>(param.id)
            .map(|g| g.abs().sum().into_scalar::<f32>());
        if !norm.is_some_and(|n| n > 0.0 && n.is_finite()) {
            self.missing += 1;
        }
    }
}
