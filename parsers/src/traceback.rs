//! Python tracebacks: frames, the exception chain, and the final exception.
//! (stub: API fixed, implementation in progress)

/// How a section is linked to the section before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// "The above exception was the direct cause of the following exception:" (`raise X from Y`).
    Cause,
    /// "During handling of the above exception, another exception occurred:".
    Context,
}

/// One `File "...", line N, in func` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Source file as printed.
    pub file: String,
    /// Line number in that file.
    pub line: u32,
    /// Function name.
    pub func: String,
}

/// An exception line: `module.Type: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcLine {
    /// Exception type, module-qualified when printed so (`sqlalchemy.exc.TimeoutError`).
    pub exc_type: String,
    /// The message, continuation lines joined with `\n`; empty when there is none.
    pub message: String,
}

/// One traceback section: frames then the exception they end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Link to the previous section; `None` for the first.
    pub link: Option<Link>,
    /// Frames, outermost first.
    pub frames: Vec<Frame>,
    /// The exception that ends the section.
    pub exception: ExcLine,
    /// Leaf exceptions of an exception group (3.11+), empty otherwise.
    pub leaves: Vec<ExcLine>,
    /// Offset (in lines) of the exception line from the first line of the block.
    pub line_offset: u32,
}

/// A whole traceback, sections oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Traceback {
    /// Sections in print order: the first is usually the root cause, the last propagated.
    pub sections: Vec<Section>,
}

impl Traceback {
    /// The first section's exception: usually the root cause.
    pub fn root(&self) -> Option<&ExcLine> {
        self.sections.first().map(|s| &s.exception)
    }
    /// The last section's exception: what propagated to the caller.
    pub fn last(&self) -> Option<&ExcLine> {
        self.sections.last().map(|s| &s.exception)
    }
}

/// True for a `Traceback (most recent call last):` header line (also exception-group headers).
pub fn is_header(line: &[u8]) -> bool {
    let _ = line;
    false
}

/// Parses a block of text (lines separated by `\n`) holding one traceback with its chain.
pub fn parse(block: &[u8]) -> Option<Traceback> {
    let _ = block;
    None
}
