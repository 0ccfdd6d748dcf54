//! Loading tensors: hand-made `.npy` bytes, the real tensors in ../shared/datasets/tensors,
//! coordinate files (and their error messages), logs, and the seeded split.

use std::path::{Path, PathBuf};

use trustrec_tensor::coords::parse_coords;
use trustrec_tensor::npy::{dense_to_sparse, parse_npy, read_npy};
use trustrec_tensor::split::split_cells;

fn npy_bytes(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn npy_c_and_fortran_orders_and_dtypes() {
    // 2 x 3 array [[0, 1, 2], [3, 4, 5]]; Fortran order stores columns first.
    let c: Vec<u8> = (0u16..6).flat_map(|v| v.to_le_bytes()).collect();
    let a = parse_npy(&npy_bytes("<u2", false, "(2, 3)", &c)).unwrap();
    assert_eq!(a.shape, vec![2, 3]);
    assert_eq!(a.data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let f: Vec<u8> = [0u16, 3, 1, 4, 2, 5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let b = parse_npy(&npy_bytes("<u2", true, "(2, 3)", &f)).unwrap();
    assert_eq!(b, a);
    let i: Vec<u8> = [-2i8, 7].iter().map(|&v| v as u8).collect();
    assert_eq!(
        parse_npy(&npy_bytes("|i1", false, "(2,)", &i))
            .unwrap()
            .data,
        vec![-2.0, 7.0]
    );
    let g: Vec<u8> = [1.5f64, f64::NAN]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let x = parse_npy(&npy_bytes(">f8", false, "(2,)", &g)).unwrap();
    assert_eq!(x.data[0], 1.5);
    assert!(x.data[1].is_nan());
}

#[test]
fn npy_errors_name_the_field() {
    let short = npy_bytes("<f8", false, "(2, 3)", &[0u8; 40]);
    let e = parse_npy(&short).unwrap_err().to_string();
    assert!(e.contains("needs 48 data bytes"), "{e}");
    let e = parse_npy(&npy_bytes("<c16", false, "(1,)", &[0u8; 16]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("descr"), "{e}");
    let e = parse_npy(b"not an npy file").unwrap_err().to_string();
    assert!(e.contains("magic"), "{e}");
}

#[test]
fn nan_and_mask_mark_missing_cells() {
    let vals: Vec<u8> = [1.0f64, f64::NAN, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let a = parse_npy(&npy_bytes("<f8", false, "(2, 2, 2)", &vals)).unwrap();
    let m = parse_npy(&npy_bytes(
        "|b1",
        false,
        "(2, 2, 2)",
        &[0, 0, 0, 1, 0, 0, 0, 0],
    ))
    .unwrap();
    let t = dense_to_sparse(&a, Some(&m)).unwrap();
    assert_eq!(t.len(), 6);
    assert_eq!(t.cell(1), &[0, 1, 0]);
    assert_eq!(t.values, vec![1.0, 3.0, 5.0, 6.0, 7.0, 8.0]);
}

fn tensors() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/tensors");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: {} is absent", p.display());
        None
    }
}

/// Values checked against positions computed by hand from the raw Fortran-order bytes.
#[test]
fn real_tensors_in_shared_datasets_load_with_known_values() {
    let Some(dir) = tensors() else { return };
    let b = read_npy(&dir.join("birmingham.npy")).unwrap();
    assert_eq!(b.shape, vec![30, 77, 18]);
    let at = |i: usize, j: usize, k: usize| b.data[(i * 77 + j) * 18 + k];
    assert_eq!(
        (at(0, 0, 0), at(1, 2, 3), at(29, 76, 17), at(5, 40, 9)),
        (61.0, 130.0, 1180.0, 879.0)
    );
    let k = read_npy(&dir.join("Kinetic.npy")).unwrap();
    let mask = read_npy(&dir.join("Kinetic_missing.npy")).unwrap();
    assert_eq!(k.data[((63 * 12 + 11) * 10 + 9) * 60 + 59], 229.0);
    assert!((k.data[((12 + 2) * 10 + 3) * 60 + 4] - 276.666_666_666_666_7).abs() < 1e-9);
    let kt = dense_to_sparse(&k, Some(&mask)).unwrap();
    assert_eq!(kt.len(), 460_800 - 1754);
    let il2 = dense_to_sparse(
        &read_npy(&dir.join("IL2_Response_Tensor.npy")).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!((il2.shape.clone(), il2.len()), (vec![13, 4, 12, 8], 4800));
    let sum: f64 = il2.values.iter().map(|&v| v as f64).sum();
    assert!((sum - 738.069_419).abs() < 1e-3, "{sum}");
}

#[test]
fn coordinate_tokens_are_mapped_densely() {
    let t = parse_coords(
        "# a comment\nalice,apple,mon,1.5\nbob,apple,tue,2\nalice,pear,tue,-1\n",
        None,
    )
    .unwrap();
    assert_eq!(t.shape, vec![2, 2, 2]);
    assert_eq!(t.idx, vec![0, 0, 0, 1, 0, 1, 0, 1, 1]);
    assert_eq!(t.values, vec![1.5, 2.0, -1.0]);
    assert_eq!(t.labels.as_ref().unwrap()[1], vec!["apple", "pear"]);
    let tab = parse_coords("0\t1\t2\t3\t0.5\n", Some(&[1, 2, 3, 4])).unwrap();
    assert_eq!((tab.order(), tab.cell(0).to_vec()), (4, vec![0, 1, 2, 3]));
}

#[test]
fn malformed_coordinate_files_give_line_and_field() {
    let cases = [
        ("0,0,0,1\n1,1,1\n", None, "line 2: 3 fields, expected 4"),
        (
            "0,0,0,1\n0,5,0,2\n",
            Some(&[2usize, 3, 2][..]),
            "line 2, field 2: index 5 is outside the declared size 3",
        ),
        ("0,0,0,1\n1,1,1,NaN\n", None, "line 2, field 4 (value)"),
        ("0,0,0,1\n1,1,1,abc\n", None, "'abc' is not a number"),
        ("0,0,0,1\n0,0,0,2\n", None, "already given on line 1"),
        ("0,0,1\n", None, "a cell needs >= 3 indices"),
        (
            "a,0,0,1\n",
            Some(&[2usize, 2, 2][..]),
            "'a' is not a non-negative integer",
        ),
    ];
    for (text, shape, want) in cases {
        let e = format!("{:#}", parse_coords(text, shape).unwrap_err());
        assert!(e.contains(want), "{text:?}: {e}");
    }
}

#[test]
fn embedded_ml100k_becomes_user_item_month_ratings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ml-100k");
    let loaded =
        trustrec_data::load(&dir, trustrec_data::Format::Recbole, &Default::default()).unwrap();
    let value = "rating".parse().unwrap();
    let t = trustrec_tensor::logs::log_tensor(
        &loaded,
        trustrec_tensor::logs::parse_bin("month").unwrap(),
        &value,
    )
    .unwrap();
    // Every (user, item) pair is rated once, so every rating is its own cell.
    assert_eq!(t.len(), 100_000);
    assert_eq!(&t.shape[..2], &[943, 1682]);
    assert_eq!(t.shape[2], 8, "ml-100k spans Sep 1997 - Apr 1998");
    let mean = t.values.iter().map(|&v| v as f64).sum::<f64>() / t.len() as f64;
    assert!((mean - 3.529_86).abs() < 1e-4, "{mean}");
    let e = trustrec_tensor::logs::log_tensor(&loaded, 86_400.0, &"stars".parse().unwrap())
        .unwrap_err();
    assert!(format!("{e:#}").contains("no column 'stars'"), "{e:#}");
}

#[test]
fn split_is_disjoint_complete_and_seeded() {
    let s = split_cells(1000, 0.72, 0.18, 7).unwrap();
    assert_eq!(
        (s.train.len(), s.valid.len(), s.test.len()),
        (720, 180, 100)
    );
    let mut all: Vec<usize> = s
        .train
        .iter()
        .chain(&s.valid)
        .chain(&s.test)
        .copied()
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..1000).collect::<Vec<_>>());
    assert_eq!(split_cells(1000, 0.72, 0.18, 7).unwrap(), s);
    assert_ne!(split_cells(1000, 0.72, 0.18, 8).unwrap().train, s.train);
    assert!(split_cells(3, 0.72, 0.18, 1).is_err());
}
