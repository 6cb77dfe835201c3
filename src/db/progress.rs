//! How far a long job has got (an export, an import, rebuilding the daily totals, the demo, the
//! evidence pack), told to whoever runs it. The jobs know nothing of terminals: the command line
//! draws a bar or logs a line (`cli::progress`), the web and the tests pass `Silent`.
//!
//! The same call is where a job hears that it should stop (Ctrl-C): `advance` answers
//! `Interrupted`, and the job returns it as an error, so its transaction rolls back and its
//! caller removes whatever file it had begun.

/// The person running the job asked it to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

pub trait Meter {
    /// The work ahead, in the job's own unit (rows, responses, reports); `None` when it is not
    /// known before the end. Called once, before the first `advance`.
    fn start(&mut self, total: Option<u64>);

    /// `done` more units are finished. An `Err` asks the job to stop here and undo its work.
    fn advance(&mut self, done: u64) -> Result<(), Interrupted>;
}

/// A meter nobody watches, for jobs run where no one waits on a terminal.
pub struct Silent;

impl Meter for Silent {
    fn start(&mut self, _total: Option<u64>) {}

    fn advance(&mut self, _done: u64) -> Result<(), Interrupted> {
        Ok(())
    }
}
