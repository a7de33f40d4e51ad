//! The README's example output is what the binary prints.

use crate::util::{cmd, run};

const README: &str = include_str!("../README.md");
const MARKER: &str = "<!-- README example: ";

#[test]
fn readme_example_is_real_output() {
    let start = README.find(MARKER).expect("README has an example marker");
    let after = &README[start + MARKER.len()..];
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
            "README line not in the output (in order): {want:?}\n\n{text}"
        );
    }
}
