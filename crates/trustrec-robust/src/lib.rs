//! Stability of recommenders under training-data perturbations.
//!
//! * [`protocol`]: the data protocol of the CASPER/FINEST papers (stable time sort, user filter,
//!   per-user last-10% test split) over an event list that perturbations can edit;
//! * [`casper`]: the interaction dependency graph and exact cascading scores;
//! * [`perturb`]: deletion / replacement / insertion chosen at random or by CASPER, reproducible
//!   from (seed, method, kind, budget), and written back in the input format;
//! * [`audit`]: trains original and perturbed models with identical seeds, weights and batch
//!   order, then compares their full ranked lists (AO, RBO, Jaccard@K) and accuracy.

pub mod audit;
pub mod casper;
pub mod perturb;
pub mod protocol;
pub mod simulate;
pub mod write;

pub use casper::{CasperOptions, Graph, GraphKind, Variant};
pub use perturb::{Budget, Chosen, ItemChoice, Kind, Method, PerturbSpec, Perturbation, perturb};
pub use protocol::{Event, ProtocolData};
