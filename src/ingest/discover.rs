//! Expands the paths given on the command line into a list of inputs.
//!
//! A file is itself; a folder is walked recursively in name order (hidden entries skipped,
//! symlinked folders followed once, loops refused, symlinks that loop to themselves skipped,
//! symlinks to nothing reported as errors); `-` is standard input.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Input {
    /// How the input is named in reports: the path as given, or `-` for stdin.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".to_string(),
        }
    }

    /// The path, if a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File(p) => Some(p),
            Input::Stdin => None,
        }
    }
}

/// A path that could not be expanded, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverError {
    /// The path.
    pub path: String,
    /// Why.
    pub message: String,
    /// True when input was lost (a path given that cannot be read, an unreadable folder);
    /// false for what was skipped on purpose (a symlink loop, a folder nested too deep).
    pub fatal: bool,
}

/// The deepest folder nesting walked.
const MAX_DEPTH: usize = 64;

/// Expands `paths` in the order given; folder contents are sorted by name.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<DiscoverError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut stdin_seen = false;
    for p in paths {
        if p.as_os_str() == "-" {
            if !stdin_seen {
                inputs.push(Input::Stdin);
                stdin_seen = true;
            }
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut seen = HashSet::new();
                walk(p, 0, &mut seen, &mut inputs, &mut errors);
            }
            Ok(_) => inputs.push(Input::File(p.clone())),
            Err(e) => errors.push(not_found(p, &e)),
        }
    }
    (inputs, errors)
}

/// Why `p` cannot be looked at (`fs::metadata` failed with `e`). A symlink whose chain of links
/// comes back to itself is skipped on purpose, like a folder loop; a symlink to nothing is an
/// input lost.
fn not_found(p: &Path, e: &std::io::Error) -> DiscoverError {
    let path = p.display().to_string();
    let is_link = fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && is_symlink_loop(p) {
        let message = "symlink loop: its links lead back to it; skipped".to_string();
        return DiscoverError { path, message, fatal: false };
    }
    let message = match (is_link, fs::read_link(p)) {
        (true, Ok(target)) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("broken symlink: its target {} does not exist", target.display())
        }
        _ => e.to_string(),
    };
    DiscoverError { path, message, fatal: true }
}

/// True when following the symlink `p` link by link comes back to a link already seen (or
/// goes on for more than 40 links, where the system gives up too).
fn is_symlink_loop(p: &Path) -> bool {
    let mut seen = HashSet::new();
    let mut cur = p.to_path_buf();
    while let Ok(target) = fs::read_link(&cur) {
        let next = match cur.parent() {
            Some(dir) => dir.join(&target),
            None => target,
        };
        if !seen.insert(cur) || seen.len() > 40 {
            return true;
        }
        cur = next;
    }
    false
}

fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<DiscoverError>,
) {
    let err =
        |message: String| DiscoverError { path: dir.display().to_string(), message, fatal: true };
    let warn =
        |message: String| DiscoverError { path: dir.display().to_string(), message, fatal: false };
    if depth > MAX_DEPTH {
        errors.push(warn(format!("folders nested deeper than {MAX_DEPTH} levels; not walked")));
        return;
    }
    match fs::canonicalize(dir) {
        Ok(c) => {
            if !seen.insert(c) {
                errors.push(warn("symlink loop: this folder was already walked; skipped".into()));
                return;
            }
        }
        Err(e) => {
            errors.push(err(e.to_string()));
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(err(e.to_string()));
            return;
        }
    };
    let mut names: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => {
                if e.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                names.push(e.path());
            }
            Err(e) => errors.push(err(e.to_string())),
        }
    }
    names.sort();
    for p in names {
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, depth + 1, seen, inputs, errors),
            Ok(m) if m.is_file() => inputs.push(Input::File(p)),
            Ok(_) => {} // sockets, fifos, devices: not logs
            Err(e) => errors.push(not_found(&p, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_sorted_and_reports_missing_paths() {
        let dir = std::env::temp_dir().join(format!("rootcause-discover-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("b.log"), "x").unwrap();
        fs::write(dir.join("a.log"), "x").unwrap();
        fs::write(dir.join(".hidden"), "x").unwrap();
        fs::write(dir.join("sub/c.log"), "x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).unwrap();
            std::os::unix::fs::symlink("l2.log", dir.join("l1.log")).unwrap();
            std::os::unix::fs::symlink("l1.log", dir.join("l2.log")).unwrap();
            std::os::unix::fs::symlink("gone.log", dir.join("dangling.log")).unwrap();
        }
        let (inputs, errors) =
            expand(&[dir.clone(), dir.join("missing"), PathBuf::from("-"), PathBuf::from("-")]);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| {
                i.path().map_or("-".into(), |p| p.strip_prefix(&dir).unwrap().display().to_string())
            })
            .collect();
        assert_eq!(names, vec!["a.log", "b.log", "sub/c.log", "-"]);
        assert!(errors.iter().any(|e| e.path.ends_with("missing")));
        #[cfg(unix)]
        {
            assert!(errors.iter().any(|e| e.message.contains("symlink loop") && !e.fatal));
            for l in ["l1.log", "l2.log"] {
                let e = errors.iter().find(|e| e.path.ends_with(l)).unwrap();
                assert!(e.message.contains("symlink loop") && !e.fatal, "{e:?}");
            }
            let e = errors.iter().find(|e| e.path.ends_with("dangling.log")).unwrap();
            assert_eq!(e.message, "broken symlink: its target gone.log does not exist");
            assert!(e.fatal);
        }
        assert!(errors.iter().any(|e| e.path.ends_with("missing") && e.fatal));
        fs::remove_dir_all(&dir).unwrap();
    }
}
