//! Pins the protocol to the reference statistics of the spec on the real reddit log.

use std::path::Path;

use trustrec_iscon::{IsconData, ProtocolConfig, ProtocolStats};

#[test]
fn real_reddit_reference_statistics_exactly() {
    let path = Path::new("../../../shared/datasets/jodie/reddit.tsv");
    if !path.exists() {
        eprintln!("skipping: {} is absent", path.display());
        return;
    }
    let loaded = trustrec_data::load(path, trustrec_data::Format::Jodie, &Default::default())
        .expect("load reddit");
    let d = IsconData::new(&loaded.log, &ProtocolConfig::default()).unwrap();
    assert_eq!(
        d.stats(),
        ProtocolStats {
            users: 4_675,
            items: 952,
            interactions: 113_219,
            sessions: 55_698,
            train_examples: 89_388,
            valid_examples: 9_535,
            test_examples: 9_621,
        }
    );
    // The same gap rule as trustrec-data's sessionizer, on the same users.
    let kept = trustrec_data::filter_k_core(&loaded.log, 10, 0);
    let sessions = trustrec_data::sessionize_by_gap(&kept, 3600.0);
    assert_eq!(sessions.user_ids.len(), 55_698);
}
