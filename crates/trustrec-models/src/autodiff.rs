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

/// The every-parameter-gets-a-gradient check that every model's tests make: the float
/// parameters of a module and, by path (`encoder.layers.0.ffn.weight`), those whose gradient is
/// missing, zero or not finite, so a failing test names the parameter that has none.
pub struct GradCensus {
    /// Float parameters visited.
    pub total: usize,
    /// Paths of the parameters without a usable gradient, in visiting order.
    pub missing: Vec<String>,
}

impl GradCensus {
    /// The census of `module` from the gradients one `backward` returned.
    pub fn of<M: burn::module::Module>(module: &M, grads: burn::tensor::Gradients) -> Self {
        let grads = burn::optim::GradientsParams::from_grads(grads, module);
        let mut visitor = CensusVisitor {
            grads: &grads,
            path: vec![],
            census: Self {
                total: 0,
                missing: vec![],
            },
        };
        module.visit(&mut visitor);
        visitor.census
    }

    /// `(parameters, parameters without a usable gradient)` of `module`.
    pub fn count<M: burn::module::Module>(
        module: &M,
        grads: burn::tensor::Gradients,
    ) -> (usize, usize) {
        let c = Self::of(module, grads);
        (c.total, c.missing.len())
    }
}

struct CensusVisitor<'a> {
    grads: &'a burn::optim::GradientsParams,
    path: Vec<String>,
    census: GradCensus,
}

impl burn::module::ModuleVisitor for CensusVisitor<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(
        &mut self,
        param: &burn::module::Param<burn::tensor::Tensor<D>>,
    ) {
        self.census.total += 1;
        let norm = self
            .grads
            .get::<D>(param.id)
            .map(|g| g.abs().sum().into_scalar::<f32>());
        if !norm.is_some_and(|n| n > 0.0 && n.is_finite()) {
            self.census.missing.push(self.path.join("."));
        }
    }
}
