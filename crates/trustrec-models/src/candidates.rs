//! HierSRec's scalable inference: rank only the items of the top predicted categories (and a
//! popular head).
//!
//! (choice) Candidates are exactly `ceil(share * n_items)` items: a share (`candidate_head`) of
//! them the most popular training items, then whole categories in order of predicted
//! probability, the last one cut to its most popular training items. A fixed size makes the
//! cost predictable whatever the category sizes; a target outside the set is a miss, and
//! without the head a popular target of an unpredicted category always is.
//! Speed comes from the layout ([`CategoryIndex`]): candidates are contiguous slabs of a
//! category-ordered item table, not scattered rows.

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use trustrec_data::{Case, Split, group_by_key};
use trustrec_eval::{
    EvalError, MatRef, MetricAccumulator, Metrics, TieRule, check_excluded, rank_in_pieces,
    scores_nt_into,
};

use crate::batch::{case_histories, case_targets};
use crate::model::Recommender;
use crate::ops::dot;
use crate::score::{Embeddings, EvalOptions};

/// Accuracy and cost of candidate ranking against full-catalogue ranking, same model and cases.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateReport {
    /// Configured share of the catalogue ranked per case.
    pub share: f64,
    pub n_candidates: usize,
    /// Metrics ranking only the candidates.
    pub candidates: Metrics,
    /// Metrics ranking every item.
    pub full: Metrics,
    /// Share of cases whose target is among their candidates.
    pub target_coverage: f64,
    /// Seconds to score and rank every case over all items / over the candidates (both after
    /// the model forward pass, which they share and which is not timed; candidate time includes
    /// choosing them; the median of 5 interleaved repetitions each).
    pub full_seconds: f64,
    pub candidate_seconds: f64,
    pub speedup: f64,
}

/// Candidate vs full ranking for a HierSRec model, from the queries and category logits of the
/// forward pass that the full-catalogue metrics already ran (`emb`, from
/// [`crate::score::embed_cases`] on the same `cases`); `None` for other models. With
/// `opts.mask_seen`, both rankings skip each case's history.
pub fn evaluate_candidates(
    model: &Recommender,
    split: &Split,
    cases: &[Case],
    emb: &Embeddings,
    opts: &EvalOptions,
) -> anyhow::Result<Option<CandidateReport>> {
    let Recommender::HierSRec(h) = model else {
        return Ok(None);
    };
    anyhow::ensure!(!cases.is_empty(), "no evaluation cases");
    let logits = emb
        .category_logits
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("HierSRec embeddings carry no category logits"))?;
    let (dim, n_items) = (emb.dim, emb.n_items());
    let feats = h.features();
    let counts = split.train_item_counts();
    let by_cat = feats.items_by_category(&counts);
    let share = h.candidate_share();
    let budget = ((share * n_items as f64).ceil() as usize).clamp(1, n_items);
    let head = ((h.candidate_head() * budget as f64).round() as usize).min(budget - 1);
    let targets = case_targets(split, cases);
    let excluded = opts.mask_seen.then(|| case_histories(split, cases));
    let index = CategoryIndex::with_head(
        &by_cat,
        &most_popular(&counts, n_items, head),
        &emb.items,
        dim,
    );

    let req = opts.request(emb, &targets, excluded.as_deref());
    let to_rank = CandidateCases {
        queries: emb.query_mat(),
        logits: MatRef::new(logits, cases.len(), feats.n_categories)?,
        targets: &targets,
        excluded: excluded.as_deref(),
    };
    let rank_candidates = || index.rank(&to_rank, budget, opts.tie);
    // Both passes are short, so each is timed TIMING_REPS times, interleaved, and the medians
    // compared: one pass of a few milliseconds says more about the machine than the method.
    let (mut full_times, mut cand_times) = (Vec::new(), Vec::new());
    let (mut full, mut ranks) = (None, Vec::new());
    for _ in 0..TIMING_REPS {
        let t = Instant::now();
        full = Some(trustrec_eval::evaluate_full(&req)?.0);
        full_times.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        ranks = rank_candidates()?;
        cand_times.push(t.elapsed().as_secs_f64());
    }
    let full = full.expect("TIMING_REPS > 0");
    let median = |v: &mut Vec<f64>| trustrec_eval::median(v).unwrap_or(f64::NAN);
    let (full_seconds, candidate_seconds) = (median(&mut full_times), median(&mut cand_times));

    let mut acc = MetricAccumulator::new(&opts.ks);
    for r in &ranks {
        acc.add_rank(r.unwrap_or(f64::INFINITY));
    }
    let covered = ranks.iter().filter(|r| r.is_some()).count();
    Ok(Some(CandidateReport {
        share,
        n_candidates: budget,
        candidates: acc.finish(),
        full,
        target_coverage: covered as f64 / cases.len() as f64,
        full_seconds,
        candidate_seconds,
        speedup: full_seconds / candidate_seconds.max(1e-12),
    }))
}

/// The `k` most popular items by training count (ties: smaller id).
fn most_popular(counts: &[u32], n_items: usize, k: usize) -> Vec<u32> {
    let mut items: Vec<u32> = (0..n_items as u32).collect();
    let key = crate::features::popularity_key(counts);
    if k < n_items {
        items.select_nth_unstable_by_key(k, key);
        items.truncate(k);
    }
    items.sort_unstable_by_key(key);
    items
}

/// Timed repetitions of each pass (median reported).
const TIMING_REPS: usize = 5;

/// The item table laid out category by category, each category's items most popular first, so
/// a case's candidates are a few contiguous slabs that sgemm can score for many queries at once
/// instead of one gathered vector per item. Built once per model, like any index (its cost is
/// not in the timings).
pub struct CategoryIndex {
    dim: usize,
    /// `start[c]..start[c + 1]` are category c's positions in the layout.
    start: Vec<usize>,
    /// Each item's category and position inside it.
    place: Vec<(u32, u32)>,
    /// Item vectors in layout order, `dim` wide.
    table: Vec<f32>,
    /// Items of the last slab, a candidate of every case (the popular head; 0 = none).
    head: usize,
}

impl CategoryIndex {
    /// `by_cat[c]` lists category c's items in candidate order; `items` is the item table.
    pub fn new(by_cat: &[Vec<u32>], items: &[f32], dim: usize) -> Self {
        let n_items = items.len() / dim.max(1);
        let mut start = Vec::with_capacity(by_cat.len() + 1);
        let mut place = vec![(u32::MAX, 0); n_items];
        let mut table = Vec::with_capacity(items.len());
        start.push(0);
        for (c, list) in by_cat.iter().enumerate() {
            for (k, &i) in list.iter().enumerate() {
                place[i as usize] = (c as u32, k as u32);
                table.extend_from_slice(&items[i as usize * dim..][..dim]);
            }
            start.push(start[c] + list.len());
        }
        Self {
            dim,
            start,
            place,
            table,
            head: 0,
        }
    }

    /// Like [`Self::new`], with the `head` items taken out of their categories into a last
    /// slab that every case ranks, the categories filling the rest of the budget.
    pub fn with_head(by_cat: &[Vec<u32>], head: &[u32], items: &[f32], dim: usize) -> Self {
        if head.is_empty() {
            return Self::new(by_cat, items, dim);
        }
        let n_items = items.len() / dim.max(1);
        let mut in_head = vec![false; n_items];
        for &i in head {
            in_head[i as usize] = true;
        }
        let mut slabs: Vec<Vec<u32>> = by_cat
            .iter()
            .map(|l| {
                l.iter()
                    .copied()
                    .filter(|&i| !in_head[i as usize])
                    .collect()
            })
            .collect();
        slabs.push(head.to_vec());
        Self {
            head: head.len(),
            ..Self::new(&slabs, items, dim)
        }
    }

    /// Number of items in category `c`.
    pub fn size(&self, c: u32) -> usize {
        self.start[c as usize + 1] - self.start[c as usize]
    }

    /// Where `item` stands among the candidates `picks` (`(category, items taken)` in order).
    fn position(&self, picks: &[(u32, usize)], item: u32) -> Option<u32> {
        let (ic, ik) = self.place[item as usize];
        let mut offset = 0;
        for &(c, take) in picks {
            if c == ic {
                return ((ik as usize) < take).then_some((offset + ik as usize) as u32);
            }
            offset += take;
        }
        None
    }

    fn slab(&self, c: u32, take: usize) -> MatRef<'_> {
        let from = self.start[c as usize] * self.dim;
        MatRef {
            data: &self.table[from..from + take * self.dim],
            rows: take,
            cols: self.dim,
        }
    }

    /// Ranks each case's target among its `budget` candidates (the top categories of its
    /// logits row), skipping the items of its `excluded` list (seen items) that are candidates;
    /// `None` where the target is not a candidate.
    ///
    /// Within a block of queries, the queries are grouped by category and every category slab
    /// is scored against all the queries that picked it in one sgemm call (the kernel of full
    /// ranking), so a candidate score costs about what a full-catalogue score costs. Blocks run
    /// in parallel and share nothing.
    pub fn rank(
        &self,
        cases: &CandidateCases,
        budget: usize,
        tie: TieRule,
    ) -> Result<Vec<Option<f64>>, EvalError> {
        let n = cases.queries.rows;
        if let Some(ex) = cases.excluded {
            check_excluded(ex, n, self.place.len())?;
        }
        if cases.queries.cols != self.dim || cases.logits.rows != n || cases.targets.len() != n {
            return Err(EvalError::ShapeMismatch {
                what: "candidate ranking inputs (queries, logits, targets)",
                expected: n,
                actual: cases.logits.rows,
            });
        }
        let targets = cases.targets;
        if let Some(&target) = targets.iter().find(|&&t| t as usize >= self.place.len()) {
            let n_items = self.place.len();
            return Err(EvalError::TargetOutOfRange { target, n_items });
        }
        let most = (MAX_BLOCK_SCORES / budget.max(1)).max(1);
        let block = n
            .div_ceil(2 * rayon::current_num_threads())
            .clamp(MIN_BLOCK_ROWS.min(most), most);
        let starts: Vec<usize> = (0..n).step_by(block).collect();
        let blocks = starts
            .into_par_iter()
            .map_init(Scratch::default, |buf, start| {
                let block = cases.rows(start..(start + block).min(n));
                self.rank_block(&block, budget, tie, buf)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(blocks.concat())
    }

    fn rank_block(
        &self,
        b: &CandidateCases,
        budget: usize,
        tie: TieRule,
        buf: &mut Scratch,
    ) -> Result<Vec<Option<f64>>, EvalError> {
        let n = b.targets.len();
        // Each row's picks, flat: row r's are picks[from[r]..from[r + 1]].
        let (mut picks, mut from, mut picked) = (Vec::new(), vec![0], Vec::new());
        let head = (self.head > 0).then(|| ((self.start.len() - 2) as u32, self.head));
        let rest = budget - self.head;
        for lg in b.logits.data.chunks_exact(b.logits.cols.max(1)).take(n) {
            buf.chooser.choose(lg, |c| self.size(c), rest, &mut picked);
            picks.extend(head.iter().chain(&picked));
            from.push(picks.len());
        }
        // Jobs (category, row, pick index, items taken), grouped by category (stable counting
        // sort), whole-category takes first, then cut ones by decreasing take, so a group's
        // slab is barely over-scored.
        let mut jobs = Vec::with_capacity(picks.len());
        for r in 0..n {
            for (p, &(c, take)) in picks.iter().enumerate().take(from[r + 1]).skip(from[r]) {
                jobs.push((c, r, p, take));
            }
        }
        let key = |j: &(u32, usize, usize, usize)| 2 * j.0 + u32::from(j.3 < self.size(j.0));
        let (offsets, members) = group_by_key(jobs.iter().map(key), 2 * (self.start.len() - 1));
        let mut jobs: Vec<_> = members.iter().map(|&m| jobs[m as usize]).collect();
        for w in offsets.windows(2).skip(1).step_by(2) {
            jobs[w[0]..w[1]].sort_unstable_by_key(|j| std::cmp::Reverse(j.3));
        }
        // Scores stay where the kernel writes them: pick p's `take` scores start at
        // `buf.scores[at[p]]` (each row of a group's product is `width` apart).
        let groups = || {
            offsets
                .windows(2)
                .flat_map(|w| jobs[w[0]..w[1]].chunks(GROUP_ROWS))
        };
        let need = |g: &[(u32, usize, usize, usize)]| match g[0].3 {
            w if w < NARROW => g.iter().map(|j| j.3).sum(),
            w => g.len() * w,
        };
        // Sized once, never cleared: every slot read below is written first.
        let total: usize = groups().map(need).sum();
        if buf.scores.len() < total {
            buf.scores.resize(total, 0.0);
        }
        let (mut at, mut used) = (vec![0; picks.len()], 0);
        for g in groups() {
            let (width, need) = (g[0].3, need(g));
            let out = &mut buf.scores[used..used + need];
            if width < NARROW {
                // Narrow slab: plain dot products.
                let mut o = 0;
                for &(c, r, p, take) in g {
                    let q = &b.queries.data[r * self.dim..][..self.dim];
                    for (k, v) in self.slab(c, take).data.chunks_exact(self.dim).enumerate() {
                        out[o + k] = dot(q, v);
                    }
                    at[p] = used + o;
                    o += take;
                }
            } else {
                buf.queries.clear();
                for j in g {
                    buf.queries
                        .extend_from_slice(&b.queries.data[j.1 * self.dim..][..self.dim]);
                }
                let queries = MatRef::new(&buf.queries, g.len(), self.dim)?;
                scores_nt_into(queries, self.slab(g[0].0, width), out)?;
                for (i, &(_, _, p, _)) in g.iter().enumerate() {
                    at[p] = used + i * width;
                }
            }
            used += need;
        }
        let (mut seen, mut pieces) = (Vec::new(), Vec::new());
        (0..n)
            .map(|r| {
                let row = from[r]..from[r + 1];
                let picks = &picks[row.clone()];
                let Some(p) = self.position(picks, b.targets[r]) else {
                    return Ok(None);
                };
                seen.clear();
                if let Some(ex) = b.excluded {
                    seen.extend(ex[r].iter().filter_map(|&i| self.position(picks, i)));
                }
                pieces.clear();
                pieces.extend(
                    row.zip(picks)
                        .map(|(k, &(_, take))| &buf.scores[at[k]..at[k] + take]),
                );
                rank_in_pieces(&pieces, p, &seen, tie, &mut buf.mask).map(Some)
            })
            .collect()
    }
}

/// A worker's reusable buffers for [`CategoryIndex::rank`].
#[derive(Default)]
struct Scratch {
    /// Candidate scores of a block, slab by slab.
    scores: Vec<f32>,
    /// A group's queries, gathered for one sgemm call.
    queries: Vec<f32>,
    /// [`rank_in_pieces`]'s scratch.
    mask: Vec<bool>,
    chooser: CategoryChooser,
}

/// The cases [`CategoryIndex::rank`] ranks candidates for, one row each.
pub struct CandidateCases<'a> {
    /// Item queries, `dim` wide.
    pub queries: MatRef<'a>,
    /// Category logits, one column per category.
    pub logits: MatRef<'a>,
    pub targets: &'a [u32],
    /// Items never to count as competitors (seen items), per case.
    pub excluded: Option<&'a [Vec<u32>]>,
}

impl<'a> CandidateCases<'a> {
    fn rows(&self, rows: std::ops::Range<usize>) -> CandidateCases<'a> {
        let part = |m: MatRef<'a>| MatRef {
            data: &m.data[rows.start * m.cols..rows.end * m.cols],
            rows: rows.len(),
            cols: m.cols,
        };
        CandidateCases {
            queries: part(self.queries),
            logits: part(self.logits),
            targets: &self.targets[rows.clone()],
            excluded: self.excluded.map(|e| &e[rows]),
        }
    }
}

/// Most candidate scores a block holds (16 MiB of f32).
const MAX_BLOCK_SCORES: usize = 1 << 22;
/// Fewest queries per block, so category groups stay wide enough for sgemm.
const MIN_BLOCK_ROWS: usize = 256;
/// Most queries scored against one category slab per sgemm call.
const GROUP_ROWS: usize = 1024;

/// Fills `cand` with `budget` items: categories by descending logit (ties: smaller id), each
/// category's items most popular first.
pub fn choose(logits: &[f32], by_cat: &[Vec<u32>], budget: usize, cand: &mut Vec<u32>) {
    let mut picked = Vec::new();
    choose_categories(logits, |c| by_cat[c as usize].len(), budget, &mut picked);
    cand.clear();
    for (c, take) in picked {
        cand.extend_from_slice(&by_cat[c as usize][..take]);
    }
}

/// The categories behind [`choose`]: `(category, items taken)` in candidate order, the last
/// category possibly cut so the items total `budget` (or every item, if fewer). One-off form of
/// [`CategoryChooser::choose`].
pub fn choose_categories(
    logits: &[f32],
    size: impl Fn(u32) -> usize,
    budget: usize,
    picked: &mut Vec<(u32, usize)>,
) {
    CategoryChooser::default().choose(logits, size, budget, picked);
}

/// Chooses a case's categories without sorting or scanning all C of them one by one; keeps its
/// buffers between cases.
///
/// Candidate order is descending logit (total order), ties to the smaller id. The logits are cut
/// into chunks of 16 and each chunk's maximum taken (vectorised). Visiting chunks by descending
/// maximum, the categories holding those maxima have logits at or above the current maximum `m`;
/// once their sizes reach the budget, every chosen category is at or above `m`, so only the
/// chunks whose maximum reaches `m` are read, and in them only the logits at or above `m`: a
/// few dozen of C, sorted exactly. Beauty's 22,363 test cases over 638 categories, one thread,
/// same choice on every case: 20.8 ms with the earlier one-pass sorted insertion (31 ms with
/// binary search + `Vec::insert` before that), 14.6 ms with a selection sort of the chunk
/// maxima. Finding each next chunk by a vectorised maximum over the unvisited ones instead of a
/// selection sort's chain of conditional moves: 27-28 -> 22.5-23 ms on another beauty run (a
/// timer around the choice inside the candidate pass, 2026-12-01); about half of what is left
/// is reading the logits (57 MB; a bare maximum over them takes 10-11 ms).
#[derive(Default)]
pub struct CategoryChooser {
    /// Each chunk's maximum ([`ordered`]).
    maxima: Vec<i32>,
    /// `maxima` with the visited chunks knocked down to `i32::MIN`.
    live: Vec<i32>,
    /// Sort keys ([`pick_key`]) of the categories at or above the threshold.
    pool: Vec<u64>,
}

impl CategoryChooser {
    /// Fills `picked` for one case (see [`choose_categories`]).
    pub fn choose(
        &mut self,
        logits: &[f32],
        size: impl Fn(u32) -> usize,
        budget: usize,
        picked: &mut Vec<(u32, usize)>,
    ) {
        picked.clear();
        self.maxima.clear();
        if budget == 0 {
            return;
        }
        // Fixed-width chunks so the maxima vectorise; the short tail, if any, last.
        let full = logits.chunks_exact(CHUNK);
        let tail = full.remainder();
        self.maxima.extend(full.map(|chunk| {
            let a: &[f32; CHUNK] = chunk.try_into().expect("chunks_exact");
            a.iter().fold(i32::MIN, |m, &l| m.max(ordered(l)))
        }));
        if !tail.is_empty() {
            self.maxima
                .push(tail.iter().fold(i32::MIN, |m, &l| m.max(ordered(l))));
        }
        // Threshold: the maximum at which the visited chunks' top categories reach the budget.
        // Chunks are visited in descending order of their maxima (ties: the earlier chunk), each
        // found by a vectorised maximum over the chunks not yet visited, which are knocked down
        // to the bottom value once visited (about 7 of 40 chunks on beauty).
        self.live.clear();
        self.live.extend_from_slice(&self.maxima);
        let (mut threshold, mut total) = (i32::MIN, 0);
        for _ in 0..self.live.len() {
            let m = self.live.iter().copied().max().unwrap_or(i32::MIN);
            if m == i32::MIN {
                // Only visited chunks (or ones at the bottom value) are left: the threshold stays
                // at the bottom, which keeps every category.
                break;
            }
            let k = self
                .live
                .iter()
                .position(|&x| x == m)
                .expect("the maximum is there");
            self.live[k] = i32::MIN;
            let first = k * CHUNK;
            let top = logits[first..]
                .iter()
                .position(|&l| ordered(l) == m)
                .expect("the maximum is in its chunk");
            total += size((first + top) as u32);
            if total >= budget {
                threshold = m;
                break;
            }
        }
        // Only chunks whose maximum reaches the threshold hold chosen categories: the visited
        // ones and any tied with the last visited.
        self.pool.clear();
        for (k, &m) in self.maxima.iter().enumerate() {
            if m < threshold {
                continue;
            }
            let first = k * CHUNK;
            let chunk = &logits[first..(first + CHUNK).min(logits.len())];
            let mut mask = at_or_above(chunk, threshold);
            while mask != 0 {
                let j = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let c = (first + j) as u32;
                if size(c) > 0 {
                    self.pool.push(pick_key(chunk[j], c));
                }
            }
        }
        self.pool.sort_unstable_by(|a, b| b.cmp(a));
        let mut total = 0;
        for &key in &self.pool {
            let c = !(key as u32);
            let s = size(c);
            picked.push((c, s.min(budget - total)));
            total += s;
            if total >= budget {
                break;
            }
        }
    }
}

/// Bit j set where `chunk[j]` is at or above `threshold` (ordered); fixed-width chunks are
/// tested as arrays so the compares vectorise.
#[inline]
fn at_or_above(chunk: &[f32], threshold: i32) -> u32 {
    let bit = |j: usize, l: f32| u32::from(ordered(l) >= threshold) << j;
    match <&[f32; CHUNK]>::try_from(chunk) {
        Ok(a) => {
            let mut m = 0;
            for (j, &l) in a.iter().enumerate() {
                m |= bit(j, l);
            }
            m
        }
        Err(_) => chunk.iter().enumerate().fold(0, |m, (j, &l)| m | bit(j, l)),
    }
}

/// Width of the chunks whose maxima are taken.
const CHUNK: usize = 16;

/// `l`'s bits as a signed integer in the order of [`f32::total_cmp`] (NaN of either sign at the
/// matching end), so maxima and thresholds are exact integer comparisons that vectorise.
#[inline]
fn ordered(l: f32) -> i32 {
    let i = l.to_bits() as i32;
    i ^ (((i >> 31) as u32) >> 1) as i32
}

/// Larger = earlier in candidate order: the ordered logit, then the smaller id.
#[inline]
fn pick_key(l: f32, c: u32) -> u64 {
    order_key(ordered(l), c)
}

/// `ord` (an [`ordered`] value) and `id` packed so that a larger key means a larger `ord`, then
/// a smaller `id`.
#[inline]
fn order_key(ord: i32, id: u32) -> u64 {
    (u64::from(ord as u32 ^ (1 << 31)) << 32) | u64::from(!id)
}

/// Slabs narrower than this are scored with plain dot products: sgemm's packing and its wide
/// register tiles cost more than they save there (beauty, 1 thread: ~10.9x vs ~10.0x overall
/// speed-up with and without this path; dot products alone ~8x).
const NARROW: usize = 16;
