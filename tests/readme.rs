//! The README's example outputs are what the binary prints.

use crate::util::{cmd, run};

const README: &str = include_str!("../README.md");
const MARKER: &str = "<!-- README example: ";

#[test]
fn readme_examples_are_real_output() {
    let mut rest = README;
    let mut checked = 0;
    while let Some(start) = rest.find(MARKER) {
        let after = &rest[start + MARKER.len()..];
        check(after);
        checked += 1;
        rest = after;
    }
    assert!(checked >= 2, "the README has its examples ({checked})");
}

/// Checks the example whose marker ends just before `after`.
fn check(after: &str) {
    let args_end = after.find(" -->").expect("marker closes");
    let args: Vec<&str> = after[..args_end].split_whitespace().collect();
    let block_start = after.find("```text\n").expect("text block") + "```text\n".len();
    let block_len = after[block_start..].find("\n```").expect("block closes");
    let block = &after[block_start..block_start + block_len];

    let out = run(cmd().current_dir(env!("CARGO_MANIFEST_DIR")).args(&args));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    // Every line of the excerpt appears in the output, in the same order; `…` marks a cut.
    let mut lines = text.lines();
    for want in block.lines().filter(|l| *l != "…") {
        assert!(
            lines.any(|got| got == want),
            "README line not in the output (in order) of {args:?}: {want:?}\n\n{text}"
        );
    }
}
