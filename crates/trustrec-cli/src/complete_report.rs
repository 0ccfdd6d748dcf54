//! People-facing outputs of `trustrec complete`: the Markdown table and the scaling plot.

use std::fmt::Write as _;

use plotters::prelude::*;
use serde_json::Value;

/// Summary (mean ± std over seeds) and per-seed rows of a `complete` results document.
pub fn report_md(r: &Value) -> String {
    let mut s = String::new();
    let d = &r["data"];
    let _ = writeln!(
        s,
        "# Tensor completion: {}\n",
        d["path"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        s,
        "Tensor {} with {} observed cells (density {:.4}); model `{}`; data SHA-256 `{}`; trustrec {}.\n",
        d["tensor"]["shape"],
        d["tensor"]["observed"],
        d["tensor"]["density"].as_f64().unwrap_or(0.0),
        r["config"]["fit"]["model"].as_str().unwrap_or("?"),
        d["hash"].as_str().unwrap_or("?"),
        r["version"].as_str().unwrap_or("?"),
    );
    let _ = writeln!(
        s,
        "| augmentation | seeds | test RMSE | test MAE | test MSE |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    if let Some(sum) = r["summary"].as_object() {
        for (name, b) in sum {
            let f = |k: &str| b[k].as_f64().unwrap_or(f64::NAN);
            let _ = writeln!(
                s,
                "| {name} | {} | {:.4} ± {:.4} | {:.4} ± {:.4} | {:.4} |",
                b["seeds"],
                f("rmse"),
                f("rmse_std"),
                f("mae"),
                f("mae_std"),
                f("mse")
            );
        }
    }
    let _ = writeln!(
        s,
        "\nMSE is reported because the official DAIN code prints MSE under the name RMSE.\n"
    );
    let _ = writeln!(
        s,
        "| seed | augmentation | new cells | test RMSE | best epoch | steps to best | seconds |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for run in r["runs"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} | {} | {} | {:.1} |",
            run["seed"],
            run["augment"].as_str().unwrap_or("?"),
            run["n_augmented"],
            run["test"]["rmse"].as_f64().unwrap_or(f64::NAN),
            run["best_epoch"],
            run["steps_to_best"],
            run["seconds"].as_f64().unwrap_or(f64::NAN),
        );
    }
    s
}

/// Log-log plot of importance + augmentation seconds against observed cells.
pub fn scaling_plot(points: &[Value], slope: Option<f64>) -> anyhow::Result<String> {
    let e = |x: &dyn std::fmt::Debug| anyhow::anyhow!("drawing the scaling plot: {x:?}");
    let xy: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((p["cells"].as_f64()?, p["total_seconds"].as_f64()?.max(1e-4))))
        .collect();
    let (x0, x1) = xy
        .iter()
        .fold((f64::INFINITY, 0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = xy
        .iter()
        .fold((f64::INFINITY, 0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let caption = match slope {
            Some(k) => format!("DAIN importance + augmentation time (log-log slope {k:.2})"),
            None => "DAIN importance + augmentation time".to_string(),
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x0 * 0.8..x1 * 1.25).log_scale(),
                (y0 * 0.8..y1 * 1.25).log_scale(),
            )
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc("observed cells")
            .y_desc("seconds")
            .draw()
            .map_err(|x| e(&x))?;
        chart
            .draw_series(xy.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}
