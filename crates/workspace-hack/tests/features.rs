//! The main build (`cargo run`: the CLI's tree) and the test build (`cargo test
//! --workspace`: every crate with its dev-dependencies) must compile each shared
//! dependency with the same features, or the second rebuilds DataFusion.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `name version` -> the union of its features, from `cargo tree`.
fn features(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "--prefix", "none", "-f", "{p} {f}"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() < 2 {
            continue;
        }
        let feats = map.entry(format!("{} {}", parts[0], parts[1])).or_default();
        // The third field is the feature list unless it is a path or a marker.
        if let Some(f) = parts.get(2).filter(|f| !f.starts_with(['(', '/'])) {
            feats.extend(f.split(',').filter(|f| !f.is_empty()).map(String::from));
        }
    }
    map
}

#[test]
fn main_and_test_builds_share_features() {
    let main = features(&["-p", "signals-cli", "-e", "normal,build"]);
    let test = features(&["--workspace"]);
    let mut missing = Vec::new();
    for (pkg, have) in &main {
        let Some(want) = test.get(pkg) else { continue };
        let extra: Vec<&String> = want.difference(have).collect();
        if !extra.is_empty() {
            let (name, version) = pkg.split_once(' ').expect("name version");
            missing.push(format!(
                "{name} = {{ version = \"={}\", features = {extra:?} }}",
                version.trim_start_matches('v')
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "the test build turns on features the main build does not, so `cargo test` \
         would rebuild them and everything above them; add to \
         crates/workspace-hack/Cargo.toml:\n{}",
        missing.join("\n")
    );
    // The check can fail: the hack crate is what makes it pass.
    assert!(main.contains_key("signals-workspace-hack v0.1.0"));
}
