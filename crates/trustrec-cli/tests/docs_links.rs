//! The README is the front door and sends readers to `docs/`: every relative link in the README
//! and in `docs/*.md` must name a file that exists, and every `#anchor` a heading of that file.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Markdown links `[text](target)` of a document, in order.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, spaces to dashes, punctuation other than `-`
/// and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// Broken links of one document, as "file: link (why)".
fn broken(doc: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap();
    let dir = doc.parent().unwrap();
    let mut bad = Vec::new();
    for link in links(&text) {
        if link.contains("://") || link.contains(' ') || link.is_empty() {
            continue;
        }
        let (file, frag) = link.split_once('#').unwrap_or((&link, ""));
        let target = if file.is_empty() {
            doc.to_path_buf()
        } else {
            dir.join(file)
        };
        if !target.exists() {
            bad.push(format!("{}: {link} (no such file)", doc.display()));
        } else if !frag.is_empty() {
            let body = std::fs::read_to_string(&target).unwrap_or_default();
            if !anchors(&body).iter().any(|a| a == frag) {
                bad.push(format!("{}: {link} (no such heading)", doc.display()));
            }
        }
    }
    bad
}

#[test]
fn anchors_follow_github_rules() {
    assert_eq!(anchor(" FINEST, measured"), "finest-measured");
    assert_eq!(
        anchor(" Ties: what the rule hides (2026-11-30)"),
        "ties-what-the-rule-hides-2026-11-30"
    );
    assert_eq!(
        links("see [a](docs/a.md#x) and [b](b.md)."),
        ["docs/a.md#x", "b.md"]
    );
}

#[test]
fn readme_and_docs_links_resolve() {
    let root = repo_root();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists beside the README")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 5, "docs/ lost its pages: {docs:?}");
    docs.push(root.join("README.md"));
    let bad: Vec<String> = docs.iter().flat_map(|d| broken(d)).collect();
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
    // Every docs page is the target of a README link (a mere mention does not count).
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let targets: Vec<String> = links(&readme)
        .into_iter()
        .map(|l| l.split('#').next().unwrap_or_default().to_string())
        .collect();
    for d in docs.iter().filter(|d| !d.ends_with("README.md")) {
        let name = format!("docs/{}", d.file_name().unwrap().to_string_lossy());
        assert!(targets.contains(&name), "README never links {name}");
    }
}
