//! Log templates (issue 11): messages from every source are grouped into templates by masking
//! their variable parts ([`mask()`], rules in [`mask`](mod@mask)) and clustering the masked token sequences with Drain (He et
//! al. 2017, "Drain: An Online Log Parsing Approach with Fixed Depth Tree").
//!
//! A [`Miner`] takes messages one at a time ([`Miner::add`]) with the kind of source they come
//! from, the source's id, line and time ([`Occurrence`]); [`Miner::templates`] lists what it
//! found as [`Template`]s, with counts, first and last seen, sources, the earliest example and a
//! time histogram. Miners fed apart (one per thread or chunk) are combined with
//! [`Miner::merge`]. No I/O here: the caller reads, cleans (control characters and ANSI escapes
//! removed, as `rootcause_parsers::text::clean` does) and passes text.
//!
//! ```
//! use rootcause::patterns::{Miner, MinerConfig, Occurrence};
//! let mut m = Miner::new(MinerConfig::default());
//! for (line, pid) in [(1, 29804), (2, 29805), (3, 29810)] {
//!     let at = Occurrence { source: 0, line, ts: Some(1_764_085_328_000_000) };
//!     m.add("console", &format!("Booting worker with pid: {pid}"), at);
//! }
//! let t = m.templates();
//! assert_eq!(t.len(), 1);
//! assert_eq!(t[0].text, "Booting worker with pid: <NUM>");
//! assert_eq!((t[0].count, t[0].example.as_str()), (3, "Booting worker with pid: 29804"));
//! ```
//!
//! # The tree
//!
//! As in the paper, a message goes down a tree of fixed depth: first by its number of tokens
//! (at most [`MinerConfig::max_tokens`] are read; longer messages form their own length class
//! and their templates end in `<...>`), then by its first `depth - 2` tokens, a token holding a
//! digit or a placeholder going to the wildcard child, as does any new token once a node has
//! [`MinerConfig::max_children`] children. The leaf lists groups; the message joins the most
//! similar one if the share of positions where the group's template and the message hold the
//! same token (a placeholder agrees with itself; a `<*>` agrees with nothing, as in the paper,
//! so that a template that has become mostly wildcards stops swallowing unrelated messages) is
//! at least
//! [`MinerConfig::sim_th`] (0.5: half the tokens, the paper's usual setting), ties going to the
//! group with the earliest example. Joining turns the positions that differ into `<*>`, so a
//! template is the position-wise meet of its messages, whatever their order. Otherwise the
//! message starts a new group, unless there are [`MinerConfig::max_templates`] already: then it
//! is counted in the overflow template (`<overflow>`, [`Template::overflow`]), never dropped.
//!
//! # Merging and determinism
//!
//! [`Miner::merge`] re-inserts the other miner's groups, earliest example first, as if each were
//! one message carrying its counts. Since a template is a meet and the example is the earliest
//! occurrence (by time, untimed last, then source, then line), mining chunks apart and merging
//! gives the same templates, counts, times and examples as mining everything in one miner
//! whenever the grouping decisions do not depend on the order, which is the case when masking
//! has done its work (the tests check it on the samples under several chunkings). What can
//! differ: a message whose similarity to two groups is near the threshold, nodes that reach
//! `max_children`, and which groups exist when `max_templates` is reached. Template ids are
//! given by [`Miner::templates`] in the order of their examples, so they do not depend on the
//! order of insertion either.
//!
//! # Costs
//!
//! Per message: one pass of masking into a reused buffer, a 64-bit hash per token (tokens are
//! compared by hash; a collision between two different tokens at the same position of messages
//! of the same shape is the only way hashes could mislead, odds around 2^-64 per comparison),
//! two hash-map lookups down the tree and a comparison with the groups of one leaf. Nothing is
//! allocated unless a group is created, an earlier example replaces the current one, or a
//! histogram or source list grows. Memory:
//! per template its tokens, an example of at most [`EXAMPLE_CAP`] bytes, its sources and a
//! histogram of at most [`MAX_BUCKETS`] buckets (about 40 KiB at worst, typically a few).

mod fields;
pub mod mask;
mod shift;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashMap;

pub use fields::{FieldValue, MAX_VALUES, OTHER};
pub use mask::{DUR, ID, IP, Masked, NUM, STR, TS, WILDCARD, mask, mask_into};

/// Longest example kept per template, in bytes (cut on a character boundary).
pub const EXAMPLE_CAP: usize = 500;
/// Most buckets in a template's histogram: past it, buckets double in width (1 s, 2 s, 4 s …)
/// until it fits, so a run of 17 minutes keeps one-second resolution and any run costs at most
/// this many entries (about 40 bytes each in the map) per template.
pub const MAX_BUCKETS: usize = 1024;
/// The text of the overflow template.
pub const OVERFLOW: &str = "<overflow>";
/// What a template of messages longer than [`MinerConfig::max_tokens`] ends with.
pub const TRUNCATED: &str = "<...>";

/// Where and when a message was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Occurrence {
    /// The source's id, as the caller numbers its inputs.
    pub source: u32,
    /// The line number in the source.
    pub line: u64,
    /// The time, in microseconds since the Unix epoch (UTC), if the line has one.
    pub ts: Option<i64>,
}

/// The order of examples: untimed last, time, source, line.
type OrderKey = (bool, i64, u32, u64);

impl Occurrence {
    /// The order of examples: by time (untimed last), then source, then line.
    fn key(&self) -> OrderKey {
        (self.ts.is_none(), self.ts.unwrap_or(0), self.source, self.line)
    }
}

/// The settings of a [`Miner`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinerConfig {
    /// The depth of the tree, root and length layer included: `depth - 2` leading tokens pick
    /// the leaf (default 4, the paper's).
    pub depth: usize,
    /// The least similarity for a message to join a group, in 0..=1 (default 0.5).
    pub sim_th: f64,
    /// The most children of a tree node, beyond which new tokens take the wildcard child
    /// (default 100).
    pub max_children: usize,
    /// The most templates; further messages that would start one go to the overflow template
    /// (default 10 000).
    pub max_templates: usize,
    /// The most tokens read of a message (default 64); the rest only marks it as long.
    pub max_tokens: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            depth: 4,
            sim_th: 0.5,
            max_children: 100,
            max_templates: 10_000,
            max_tokens: 64,
        }
    }
}

/// A template and what it has counted.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Its rank in the order of examples (see [`Miner::templates`]).
    pub id: u32,
    /// The tokens joined by single spaces, `<*>` where its messages differ.
    pub text: String,
    /// Messages counted.
    pub count: u64,
    /// Of those, messages without a time.
    pub untimed: u64,
    /// Of those, messages of events where a failure signature of the catalog matched a text
    /// ([`Miner::add_matched`]): a template that is mostly these is explained by the catalog
    /// (an app event's `Uncaught exception` beside the traceback a signature read).
    pub matched: u64,
    /// The earliest time seen, microseconds UTC.
    pub first: Option<i64>,
    /// The latest time seen, microseconds UTC.
    pub last: Option<i64>,
    /// The kinds of sources its messages came from ("app", "postgres" …).
    pub kinds: BTreeSet<&'static str>,
    /// The ids of the sources its messages came from.
    pub sources: BTreeSet<u32>,
    /// The earliest message, as given, cut to [`EXAMPLE_CAP`] bytes.
    pub example: String,
    /// Where the example was seen.
    pub example_at: Occurrence,
    /// Timed messages per bucket, keyed by the bucket's first second (Unix epoch, UTC).
    pub per_second: BTreeMap<i64, u64>,
    /// The width of the buckets of `per_second`, in seconds (1 unless more than
    /// [`MAX_BUCKETS`] seconds were occupied).
    pub bucket_secs: i64,
    /// Whether this is the overflow template, which counts the messages that came after
    /// [`MinerConfig::max_templates`] templates existed.
    pub overflow: bool,
}

/// A streaming template miner (see the module doc).
#[derive(Clone, Debug)]
pub struct Miner {
    cfg: MinerConfig,
    hasher: FixedState,
    wild: u64,
    /// The first node of each length class (`max_tokens + 1` for longer messages).
    roots: Vec<Option<u32>>,
    nodes: Vec<Node>,
    groups: Vec<Group>,
    overflow: Option<Group>,
    scratch: Masked,
    hashes: Vec<u64>,
    /// Texts seen lately and the group each joined: a text seen again joins its group without
    /// being masked and looked up (see [`Miner::add`]). At most [`EXACT_CAP`] entries, texts
    /// of at most [`EXACT_MAX_LEN`] bytes without a digit.
    exact: HashMap<Box<str>, u32, FixedState>,
    /// Field values counted beside the templates ([`Miner::add_field`]).
    fields: fields::Fields,
}

/// Most texts the exact-text cache holds; when full it is emptied.
const EXACT_CAP: usize = 4096;
/// Longest text the exact-text cache holds, in bytes.
const EXACT_MAX_LEN: usize = 160;

#[derive(Clone, Debug, Default)]
struct Node {
    children: HashMap<u64, u32, FixedState>,
    wildcard: Option<u32>,
    groups: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Group {
    hashes: Vec<u64>,
    texts: Vec<Box<str>>,
    truncated: bool,
    count: u64,
    /// Of `count`, messages of events a failure signature matched.
    matched: u64,
    untimed: u64,
    first: Option<i64>,
    last: Option<i64>,
    kinds: Vec<&'static str>,
    sources: Vec<u32>,
    example: String,
    example_at: Occurrence,
    hist: Histogram,
}

#[derive(Clone, Debug)]
struct Histogram {
    width: i64,
    buckets: BTreeMap<i64, u64>,
}

impl Histogram {
    fn new() -> Self {
        Histogram { width: 1, buckets: BTreeMap::new() }
    }

    fn add(&mut self, sec: i64, n: u64) {
        *self.buckets.entry(sec.div_euclid(self.width) * self.width).or_insert(0) += n;
        while self.buckets.len() > MAX_BUCKETS {
            self.coarsen(self.width * 2);
        }
    }

    fn coarsen(&mut self, width: i64) {
        if width <= self.width {
            return;
        }
        let old = std::mem::take(&mut self.buckets);
        for (k, n) in old {
            *self.buckets.entry(k.div_euclid(width) * width).or_insert(0) += n;
        }
        self.width = width;
    }

    fn merge(&mut self, other: &Histogram) {
        self.coarsen(other.width);
        for (&k, &n) in &other.buckets {
            self.add(k, n);
        }
    }

    /// Moves the buckets by the whole seconds of `by` µs (rounded down), re-binned at their
    /// width.
    fn shift(&mut self, by: i64) {
        let secs = by.div_euclid(1_000_000);
        let width = self.width;
        let old = std::mem::take(&mut self.buckets);
        for (k, n) in old {
            *self.buckets.entry(k.saturating_add(secs).div_euclid(width) * width).or_insert(0) += n;
        }
    }
}

fn cap(text: &str) -> &str {
    let mut k = text.len().min(EXAMPLE_CAP);
    while !text.is_char_boundary(k) {
        k -= 1;
    }
    text.get(..k).unwrap_or("")
}

impl Group {
    fn new(example: &str, at: Occurrence) -> Group {
        Group {
            hashes: Vec::new(),
            texts: Vec::new(),
            truncated: false,
            count: 0,
            matched: 0,
            untimed: 0,
            first: None,
            last: None,
            kinds: Vec::new(),
            sources: Vec::new(),
            example: cap(example).to_owned(),
            example_at: at,
            hist: Histogram::new(),
        }
    }

    /// Counts one message.
    fn count_one(&mut self, kind: &'static str, text: &str, at: Occurrence) {
        self.count += 1;
        match at.ts {
            Some(ts) => {
                self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
                self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
                self.hist.add(ts.div_euclid(1_000_000), 1);
            }
            None => self.untimed += 1,
        }
        if self.kinds.last() != Some(&kind) && !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
        if let Err(i) = self.sources.binary_search(&at.source) {
            self.sources.insert(i, at.source);
        }
        match at.key().cmp(&self.example_at.key()) {
            Ordering::Less => self.set_example(text, at),
            Ordering::Equal if cap(text) < self.example.as_str() => self.set_example(text, at),
            _ => {}
        }
    }

    fn set_example(&mut self, text: &str, at: Occurrence) {
        self.example.clear();
        self.example.push_str(cap(text));
        self.example_at = at;
    }

    /// Adds the counts of `o` (whose tokens have been met with this group's already).
    fn absorb(&mut self, o: Group) {
        self.count += o.count;
        self.matched += o.matched;
        self.untimed += o.untimed;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        for k in o.kinds {
            if !self.kinds.contains(&k) {
                self.kinds.push(k);
            }
        }
        for s in o.sources {
            if let Err(i) = self.sources.binary_search(&s) {
                self.sources.insert(i, s);
            }
        }
        let earlier = match o.example_at.key().cmp(&self.example_at.key()) {
            Ordering::Less => true,
            Ordering::Equal => o.example < self.example,
            Ordering::Greater => false,
        };
        if earlier {
            self.example = o.example;
            self.example_at = o.example_at;
        }
        self.hist.merge(&o.hist);
    }

    fn order(&self) -> OrderKey {
        self.example_at.key()
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Miner {
    /// A miner with no templates.
    pub fn new(cfg: MinerConfig) -> Miner {
        let hasher = FixedState::with_seed(0x005e_ed11);
        let wild = hasher.hash_one(WILDCARD);
        Miner {
            cfg,
            hasher,
            wild,
            roots: vec![None; cfg.max_tokens + 2],
            nodes: Vec::new(),
            groups: Vec::new(),
            overflow: None,
            scratch: Masked::default(),
            hashes: Vec::new(),
            exact: HashMap::with_hasher(FixedState::with_seed(0x0e_ac7)),
            fields: Vec::new(),
        }
    }

    /// The settings it was made with.
    pub fn config(&self) -> &MinerConfig {
        &self.cfg
    }

    /// Counts one message of a source of kind `kind` (the caller's tag: "app", "exception",
    /// "postgres", "console" …) seen at `at`.
    ///
    /// A text this miner has placed before joins the same group directly: its group's tokens
    /// already met the text's, so meeting them again would change nothing. Logs repeat their
    /// messages word for word (a stage event, a server's banner), and this makes mining them
    /// a hash lookup.
    pub fn add(&mut self, kind: &'static str, text: &str, at: Occurrence) {
        self.add_matched(kind, text, at, false);
    }

    /// [`Miner::add`] of a message of an event that a failure signature of the catalog
    /// matched (`matched`): counted in [`Template::matched`] too.
    pub fn add_matched(&mut self, kind: &'static str, text: &str, at: Occurrence, matched: bool) {
        // Texts with digits seldom repeat word for word (a duration, a pid, an id): they are
        // neither looked up nor kept.
        let cacheable = text.len() <= EXACT_MAX_LEN && !text.bytes().any(|b| b.is_ascii_digit());
        if let Some(&g) = cacheable.then(|| self.exact.get(text)).flatten() {
            if let Some(g) = self.groups.get_mut(g as usize) {
                g.count_one(kind, text, at);
                g.matched += u64::from(matched);
                return;
            }
        }
        let mut m = std::mem::take(&mut self.scratch);
        mask::mask_into(text, self.cfg.max_tokens, &mut m);
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.clear();
        hashes.extend(m.token_strs().map(|t| self.hasher.hash_one(t)));
        let leaf = self
            .leaf(&hashes, m.truncated, |i| m.token_strs().nth(i).is_some_and(mask::is_variable));
        let g = match self.best(leaf, &hashes) {
            Some(g) => {
                self.meet(g, &hashes);
                Some(g)
            }
            None if self.groups.len() < self.cfg.max_templates => {
                let mut g = Group::new(text, at);
                g.hashes.extend_from_slice(&hashes);
                g.texts.extend(m.token_strs().map(Box::from));
                g.truncated = m.truncated;
                Some(self.push_group(leaf, g))
            }
            None => None,
        };
        match g.and_then(|g| self.groups.get_mut(g as usize).map(|group| (g, group))) {
            Some((g, group)) => {
                group.count_one(kind, text, at);
                group.matched += u64::from(matched);
                if cacheable {
                    if self.exact.len() >= EXACT_CAP {
                        self.exact.clear();
                    }
                    self.exact.insert(Box::from(text), g);
                }
            }
            None => {
                let o = self.overflow.get_or_insert_with(|| Group::new(text, at));
                o.count_one(kind, text, at);
                o.matched += u64::from(matched);
            }
        }
        self.scratch = m;
        self.hashes = hashes;
    }

    /// Adds everything `other` counted: its groups are inserted, earliest example first, as
    /// messages carrying their counts (see the module doc for how close this is to mining all
    /// messages in one miner). `other`'s settings are ignored.
    pub fn merge(&mut self, other: Miner) {
        self.merge_fields(other.fields);
        let mut groups = other.groups;
        groups.sort_by(|a, b| a.order().cmp(&b.order()).then_with(|| a.texts.cmp(&b.texts)));
        for g in groups {
            let leaf = self.leaf(&g.hashes, g.truncated, |i| {
                g.texts.get(i).is_some_and(|t| mask::is_variable(t))
            });
            match self.best(leaf, &g.hashes) {
                Some(i) => {
                    self.meet(i, &g.hashes);
                    if let Some(mine) = self.groups.get_mut(i as usize) {
                        mine.absorb(g);
                    }
                }
                None if self.groups.len() < self.cfg.max_templates => {
                    self.push_group(leaf, g);
                }
                None => self.absorb_overflow(g),
            }
        }
        if let Some(o) = other.overflow {
            self.absorb_overflow(o);
        }
    }

    fn absorb_overflow(&mut self, g: Group) {
        match &mut self.overflow {
            Some(o) => o.absorb(g),
            None => {
                let mut g = g;
                g.hashes.clear();
                g.texts.clear();
                g.truncated = false;
                self.overflow = Some(g);
            }
        }
    }

    /// The templates, numbered in the order of their examples (time, untimed last, then source,
    /// then line), then the overflow template if any message went there.
    pub fn templates(&self) -> Vec<Template> {
        let mut order: Vec<&Group> = self.groups.iter().collect();
        order.sort_by(|a, b| a.order().cmp(&b.order()).then_with(|| a.texts.cmp(&b.texts)));
        let mut out: Vec<Template> =
            order.into_iter().enumerate().map(|(i, g)| template(i, g, false)).collect();
        if let Some(o) = &self.overflow {
            out.push(template(out.len(), o, true));
        }
        out
    }

    /// The number of templates, the overflow one not included.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether no message has been added.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.overflow.is_none()
    }

    /// The leaf for a token sequence; `variable(i)` says whether token `i` is variable.
    fn leaf(&mut self, hashes: &[u64], truncated: bool, variable: impl Fn(usize) -> bool) -> u32 {
        let class = if truncated { self.cfg.max_tokens + 1 } else { hashes.len() };
        let root = match self.roots.get(class).copied().flatten() {
            Some(r) => r,
            None => {
                let r = self.new_node();
                if let Some(slot) = self.roots.get_mut(class) {
                    *slot = Some(r);
                }
                r
            }
        };
        let mut node = root;
        for (i, &h) in hashes.iter().enumerate().take(self.cfg.depth.saturating_sub(2)) {
            let wild = h == self.wild || variable(i);
            let n = &self.nodes[node as usize];
            let full = n.children.len() >= self.cfg.max_children;
            let found = if wild { n.wildcard } else { n.children.get(&h).copied() };
            node = match (found, n.wildcard) {
                (Some(c), _) => c,
                (None, Some(c)) if full => c,
                _ => {
                    let c = self.new_node();
                    let n = &mut self.nodes[node as usize];
                    if wild || full {
                        n.wildcard = Some(c);
                    } else {
                        n.children.insert(h, c);
                    }
                    c
                }
            };
        }
        node
    }

    fn new_node(&mut self) -> u32 {
        self.nodes
            .push(Node { children: HashMap::with_hasher(self.hasher.clone()), ..Node::default() });
        (self.nodes.len() - 1) as u32
    }

    /// The group of `leaf` most similar to `hashes`, if similar enough.
    fn best(&self, leaf: u32, hashes: &[u64]) -> Option<u32> {
        let mut best: Option<(f64, OrderKey, u32)> = None;
        for &g in &self.nodes[leaf as usize].groups {
            let grp = &self.groups[g as usize];
            let same =
                grp.hashes.iter().zip(hashes).filter(|&(&a, &b)| a == b && a != self.wild).count();
            let sim = if hashes.is_empty() { 1.0 } else { same as f64 / hashes.len() as f64 };
            let better = match best {
                None => true,
                Some((s, k, _)) => sim > s || (sim == s && grp.order() < k),
            };
            if sim >= self.cfg.sim_th && better {
                best = Some((sim, grp.order(), g));
            }
        }
        best.map(|(_, _, g)| g)
    }

    /// Turns the positions where group `g` and `hashes` differ into wildcards.
    fn meet(&mut self, g: u32, hashes: &[u64]) {
        let wild = self.wild;
        if let Some(grp) = self.groups.get_mut(g as usize) {
            for ((t, text), &h) in grp.hashes.iter_mut().zip(grp.texts.iter_mut()).zip(hashes) {
                if *t != h && *t != wild {
                    *t = wild;
                    *text = Box::from(WILDCARD);
                }
            }
        }
    }

    fn push_group(&mut self, leaf: u32, g: Group) -> u32 {
        let id = self.groups.len() as u32;
        self.groups.push(g);
        self.nodes[leaf as usize].groups.push(id);
        id
    }
}

fn template(id: usize, g: &Group, overflow: bool) -> Template {
    let mut text = if overflow { OVERFLOW.to_owned() } else { g.texts.join(" ") };
    if g.truncated && !overflow {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(TRUNCATED);
    }
    Template {
        id: id as u32,
        text,
        count: g.count,
        untimed: g.untimed,
        matched: g.matched,
        first: g.first,
        last: g.last,
        kinds: g.kinds.iter().copied().collect(),
        sources: g.sources.iter().copied().collect(),
        example: g.example.clone(),
        example_at: g.example_at,
        per_second: g.hist.buckets.clone(),
        bucket_secs: g.hist.width,
        overflow,
    }
}
