//! The human side of an audit: `report.md` and SVG plots (RLS vs budget, RLS by user decile).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use trustrec_models::checkpoint::write_bytes_atomic;

use super::{AuditConfig, AuditOutput, DecileRow, RunRecord};

/// Plot file names, relative to the output folder.
pub const PLOT_BUDGET: &str = "rls_vs_budget.svg";
pub const PLOT_DECILE: &str = "rls_by_user_decile.svg";

fn pm(m: &trustrec_eval::MeanStd) -> String {
    if m.n > 1 {
        format!("{:.4} ± {:.4}", m.mean, m.std)
    } else {
        format!("{:.4}", m.mean)
    }
}

/// Writes `dir/report.md`. `dataset` is a one-line description of the data.
pub fn write_report(
    dir: &Path,
    dataset: &str,
    cfg: &AuditConfig,
    out: &AuditOutput,
) -> anyhow::Result<()> {
    let jk = format!("jaccard@{}", cfg.jaccard_k);
    let mut s = String::new();
    let seeds: Vec<String> = cfg.seeds.iter().map(|s| s.to_string()).collect();
    writeln!(s, "# Stability audit\n")?;
    writeln!(s, "- data: {dataset}")?;
    writeln!(
        s,
        "- protocol: stable time sort, users with >= {} interactions, last 10% of each user's \
         interactions = test ({} test instances, {} training rows)",
        out.min_user, out.n_test_cases, out.n_train
    )?;
    writeln!(
        s,
        "- model: {}, d = {}, max length {}, {} epochs (fixed), batch {}, lr {}; seeds {}",
        cfg.model.name,
        cfg.model.dim,
        cfg.model.max_len,
        cfg.train.epochs,
        cfg.train.batch_size,
        cfg.train.lr,
        seeds.join(", ")
    )?;
    writeln!(
        s,
        "- measures (means over test instances, then mean ± std over seeds): AO = average \
         overlap of the two full ranked lists (what the CASPER paper reports as \"RBO\"; 0.5 for \
         unrelated lists); RBO = rank-biased overlap with p = {}{}; {jk} = Jaccard of the top-{} \
         sets. Accuracy ties favour the target (rank = 1 + #items scored strictly higher).\n",
        cfg.rbo_p,
        cfg.rbo_depth
            .map_or(String::from(", full list"), |d| format!(", depth {d}")),
        cfg.jaccard_k
    )?;
    writeln!(
        s,
        "| FINEST | method | kind | budget | rows | {jk} | AO | RBO | MRR orig → pert | Recall@10 orig → pert | NDCG@10 orig → pert |"
    )?;
    writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    for r in &out.summary {
        let rls = |k: &str| r.rls.get(k).map_or("-".into(), pm);
        let acc = |k: &str| match (r.original.get(k), r.perturbed.get(k)) {
            (Some(a), Some(b)) => format!("{:.4} → {:.4}", a.mean, b.mean),
            _ => "-".into(),
        };
        writeln!(
            s,
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
            if r.stabilized { "yes" } else { "no" },
            r.method,
            r.kind,
            r.budget,
            r.n_perturbed,
            rls(&jk),
            rls("ao"),
            rls("rbo"),
            acc("mrr"),
            acc("recall@10"),
            acc("ndcg@10")
        )?;
    }
    writeln!(
        s,
        "\n## Who is hit hardest\n\nMean {jk} and AO by decile of the users' accuracy (mean \
         reciprocal rank) under the original model, averaged over seeds; decile 0 = the least \
         accurately served users.\n"
    )?;
    writeln!(
        s,
        "| run | {} |",
        (0..10)
            .map(|d| format!("d{d}"))
            .collect::<Vec<_>>()
            .join(" | ")
    )?;
    writeln!(s, "|---|{}", "---|".repeat(10))?;
    for (label, rows) in decile_series(out) {
        let cells: Vec<String> = rows
            .iter()
            .map(|r| format!("{:.3} / {:.3}", r.jaccard, r.ao))
            .collect();
        writeln!(s, "| {label} ({jk} / AO) | {} |", cells.join(" | "))?;
    }
    writeln!(
        s,
        "\n![RLS vs budget]({PLOT_BUDGET})\n\n![RLS by user decile]({PLOT_DECILE})\n"
    )?;
    writeln!(
        s,
        "Time: {:.0} s in all, {:.1} s per training ({} trainings).",
        out.seconds_total,
        out.seconds_per_training,
        cfg.seeds.len() * (1 + cfg.methods.len() * cfg.kinds.len() * cfg.budgets.len())
    )?;
    write_bytes_atomic(&dir.join("report.md"), s.as_bytes())
}

/// Per (method, kind, largest budget): decile rows averaged over seeds.
fn decile_series(out: &AuditOutput) -> Vec<(String, Vec<DecileRow>)> {
    let mut labels: Vec<(String, Vec<&RunRecord>)> = Vec::new();
    for r in &out.runs {
        let fin = if r.stabilized { " +FINEST" } else { "" };
        let label = format!("{} {}{fin}", r.method, r.kind);
        match labels.iter_mut().find(|l| l.0 == label) {
            Some(l) => l.1.push(r),
            None => labels.push((label, vec![r])),
        }
    }
    labels
        .into_iter()
        .map(|(label, runs)| {
            let top = runs.iter().map(|r| r.n_perturbed).max().unwrap_or(0);
            let runs: Vec<_> = runs.into_iter().filter(|r| r.n_perturbed == top).collect();
            let n = runs.len() as f64;
            let deciles = runs[0].by_user_decile.len();
            let rows = (0..deciles)
                .map(|d| {
                    let mean = |f: fn(&DecileRow) -> f64| {
                        runs.iter()
                            .filter_map(|r| r.by_user_decile.get(d))
                            .map(f)
                            .sum::<f64>()
                            / n
                    };
                    DecileRow {
                        decile: d,
                        users: runs[0].by_user_decile[d].users,
                        mrr: mean(|r| r.mrr),
                        ao: mean(|r| r.ao),
                        rbo: mean(|r| r.rbo),
                        jaccard: mean(|r| r.jaccard),
                    }
                })
                .collect();
            (format!("{label} {top}"), rows)
        })
        .collect()
}

type Series = Vec<(String, Vec<(f64, f64)>)>;

/// Writes the two SVG plots into `dir`.
pub fn write_plots(dir: &Path, cfg: &AuditConfig, out: &AuditOutput) -> anyhow::Result<()> {
    let jk = format!("jaccard@{}", cfg.jaccard_k);
    let mut by_budget: Series = Vec::new();
    for r in &out.summary {
        let fin = if r.stabilized { " +FINEST" } else { "" };
        let label = format!("{} {}{fin}", r.method, r.kind);
        let y = r.rls.get(&jk).map_or(f64::NAN, |m| m.mean);
        match by_budget.iter_mut().find(|s| s.0 == label) {
            Some(s) => s.1.push((r.n_perturbed, y)),
            None => by_budget.push((label, vec![(r.n_perturbed, y)])),
        }
    }
    for s in &mut by_budget {
        s.1.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    line_plot(
        &dir.join(PLOT_BUDGET),
        &format!("{jk} vs perturbation budget"),
        "training rows perturbed",
        &jk,
        &by_budget,
    )?;
    let by_decile: Series = decile_series(out)
        .into_iter()
        .map(|(label, rows)| {
            (
                label,
                rows.iter().map(|r| (r.decile as f64, r.jaccard)).collect(),
            )
        })
        .collect();
    line_plot(
        &dir.join(PLOT_DECILE),
        &format!("{jk} by user accuracy decile (0 = least accurate)"),
        "user accuracy decile",
        &jk,
        &by_decile,
    )
}

fn line_plot(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &Series,
) -> anyhow::Result<()> {
    let e = |e: &dyn std::fmt::Display| anyhow::anyhow!("plot {}: {e}", path.display());
    let pts = series
        .iter()
        .flat_map(|s| s.1.iter())
        .filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y0) = (f64::INFINITY, f64::NEG_INFINITY, 1.0f64);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 - x0 < 1e-9 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    let y0 = (y0 - 0.05).clamp(0.0, 0.95);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..1.0)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(|x| e(&x))?;
        for (i, (label, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|x| e(&x))?
                .label(label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|x| e(&x))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    write_bytes_atomic(path, svg.as_bytes())
}
