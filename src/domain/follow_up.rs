//! Follow-up actions (RTL) as the regency's evaluation counts them (SPEC §6a, PEKPPP): which are
//! late, what share is done, which belong to a period, and what a status change must bring.
//! Pure: "today" is always an argument (the local date in the regency's time zone).
//!
//! **% done = done ÷ (all − dropped)**, rounded half up to a whole percent. A dropped action (it
//! needs a reason) is no longer planned work, so it neither counts as done nor holds the
//! percentage down; it stays listed, with its reason, for the evaluator to judge.

use super::names::RtlStatus;
use super::period::Period;
use super::proof::ProofError;
use chrono::NaiveDate;

impl RtlStatus {
    /// Done or dropped: nothing more is expected of the action.
    pub fn is_closed(self) -> bool {
        matches!(self, RtlStatus::Done | RtlStatus::Dropped)
    }
}

/// Late: past its due date and neither done nor dropped. Due today is not late yet.
pub fn is_late(status: RtlStatus, due: NaiveDate, today: NaiveDate) -> bool {
    !status.is_closed() && due < today
}

/// How many days a late action is past its due date; `None` when it is not late.
pub fn days_late(status: RtlStatus, due: NaiveDate, today: NaiveDate) -> Option<i64> {
    is_late(status, due, today).then(|| (today - due).num_days())
}

/// Whether an action recorded for `action_period` belongs to the period a page shows: the two
/// overlap. A year's page lists the actions of its months, quarters and semesters, and a month's
/// page the actions of the quarter, semester and year around it; a neighbouring month's do not.
pub fn belongs_to(action_period: &Period, shown: &Period) -> bool {
    action_period.first_day() < shown.end_exclusive() && shown.first_day() < action_period.end_exclusive()
}

/// The state of a set of actions (a unit's, a regency's, a period's) on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub all: usize,
    pub done: usize,
    pub dropped: usize,
    pub late: usize,
}

impl Progress {
    pub fn of(actions: impl IntoIterator<Item = (RtlStatus, NaiveDate)>, today: NaiveDate) -> Progress {
        let mut progress = Progress::default();
        for (status, due) in actions {
            progress.add(status, due, today);
        }
        progress
    }

    pub fn add(&mut self, status: RtlStatus, due: NaiveDate, today: NaiveDate) {
        self.all += 1;
        match status {
            RtlStatus::Done => self.done += 1,
            RtlStatus::Dropped => self.dropped += 1,
            RtlStatus::Planned | RtlStatus::InProgress => {}
        }
        if is_late(status, due, today) {
            self.late += 1;
        }
    }

    pub fn merge(&mut self, other: &Progress) {
        self.all += other.all;
        self.done += other.done;
        self.dropped += other.dropped;
        self.late += other.late;
    }

    /// The actions the percentage is taken of: all but the dropped ones.
    pub fn counted(&self) -> usize {
        self.all - self.dropped
    }

    /// Neither done nor dropped.
    pub fn open(&self) -> usize {
        self.all - self.done - self.dropped
    }

    /// done ÷ (all − dropped) in whole percent, rounded half up; `None` when no action counts.
    pub fn percent(&self) -> Option<usize> {
        let counted = self.counted();
        (counted > 0).then(|| (200 * self.done + counted) / (2 * counted))
    }
}

/// Why a status change was refused. Each has a short code the page's address carries back
/// (`masalah=bukti`) so the page can say it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChangeProblem {
    #[error("done needs evidence: a note, a link or an image")]
    EvidenceMissing,
    #[error("dropped needs a reason")]
    ReasonMissing,
    #[error("{0}")]
    Proof(ProofError),
}

impl ChangeProblem {
    pub const ALL: [ChangeProblem; 6] = [
        ChangeProblem::EvidenceMissing,
        ChangeProblem::ReasonMissing,
        ChangeProblem::Proof(ProofError::NotAnImage),
        ChangeProblem::Proof(ProofError::TooLarge),
        ChangeProblem::Proof(ProofError::BadUrl),
        ChangeProblem::Proof(ProofError::NoteTooLong),
    ];

    pub fn code(self) -> &'static str {
        match self {
            ChangeProblem::EvidenceMissing => "bukti",
            ChangeProblem::ReasonMissing => "alasan",
            ChangeProblem::Proof(ProofError::NotAnImage) => "gambar",
            ChangeProblem::Proof(ProofError::TooLarge) => "ukuran",
            ChangeProblem::Proof(ProofError::BadUrl) => "tautan",
            ChangeProblem::Proof(ProofError::NoteTooLong) => "catatan",
        }
    }

    pub fn from_code(code: &str) -> Option<ChangeProblem> {
        ChangeProblem::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// What came with a status change (already parsed: a note, a link, an image).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Brought {
    pub note: bool,
    pub url: bool,
    pub image: bool,
}

/// The rule of SPEC §6a: done needs evidence (a note, a link or an image), dropped a reason (a
/// note). Any status may follow any other (an action done too early is reopened; a dropped one
/// taken up again), and the history keeps every step.
pub fn check_change(to: RtlStatus, brought: Brought) -> Result<(), ChangeProblem> {
    match to {
        RtlStatus::Done if !(brought.note || brought.url || brought.image) => Err(ChangeProblem::EvidenceMissing),
        RtlStatus::Dropped if !brought.note => Err(ChangeProblem::ReasonMissing),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RtlStatus::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn late_is_past_due_and_neither_done_nor_dropped() {
        let today = day("2026-11-15");
        assert!(is_late(Planned, day("2026-11-14"), today));
        assert!(is_late(InProgress, day("2026-01-01"), today));
        assert!(!is_late(Planned, day("2026-11-15"), today), "due today is not late yet");
        assert!(!is_late(Done, day("2026-11-01"), today));
        assert!(!is_late(Dropped, day("2026-11-01"), today));
        assert_eq!(days_late(InProgress, day("2026-11-03"), today), Some(12));
        assert_eq!(days_late(Done, day("2026-11-03"), today), None);
    }

    #[test]
    fn percent_done_leaves_dropped_actions_out_of_the_denominator() {
        let today = day("2026-11-15");
        let (past, future) = (day("2026-11-01"), day("2026-12-31"));
        let p =
            Progress::of([(Done, past), (Done, future), (Dropped, past), (InProgress, past), (Planned, future)], today);
        assert_eq!(p, Progress { all: 5, done: 2, dropped: 1, late: 1 });
        assert_eq!((p.counted(), p.open()), (4, 2));
        assert_eq!(p.percent(), Some(50), "2 of the 4 that count");
        let one_of_eight = Progress::of((0..8).map(|i| (if i == 0 { Done } else { Planned }, future)), today);
        assert_eq!(one_of_eight.percent(), Some(13), "12,5 rounds half up");
        let two_of_three = Progress::of([(Done, past), (Done, past), (Planned, future)], today);
        assert_eq!(two_of_three.percent(), Some(67));
        assert_eq!(Progress::default().percent(), None, "no actions: no percentage");
        assert_eq!(Progress::of([(Dropped, past)], today).percent(), None, "only dropped ones: none counts");
        assert_eq!(Progress::of([(Dropped, past), (Done, past)], today).percent(), Some(100));
    }

    #[test]
    fn progress_adds_up_over_units() {
        let today = day("2026-11-15");
        let mut regency = Progress::of([(Done, today)], today);
        regency.merge(&Progress::of([(Planned, day("2026-10-01")), (Dropped, today)], today));
        assert_eq!(regency, Progress { all: 3, done: 1, dropped: 1, late: 1 });
        assert_eq!(regency.percent(), Some(50));
    }

    #[test]
    fn an_action_belongs_to_every_period_it_overlaps() {
        let p = |t: &str| t.parse::<Period>().expect("period");
        assert!(belongs_to(&p("2026-10"), &p("2026-10")));
        assert!(belongs_to(&p("2026-10"), &p("2026")), "a month's action on the year's page");
        assert!(belongs_to(&p("2026"), &p("2026-10")), "the year's action on a month's page");
        assert!(belongs_to(&p("2026-Q4"), &p("2026-S2")));
        assert!(!belongs_to(&p("2026-09"), &p("2026-10")), "the neighbouring month");
        assert!(!belongs_to(&p("2025"), &p("2026-01")));
        assert!(belongs_to(&p("2026-09-15..2026-10-14"), &p("2026-10")));
        assert!(!belongs_to(&p("2026-09-01..2026-09-30"), &p("2026-10")));
    }

    #[test]
    fn done_needs_evidence_and_dropped_a_reason() {
        let nothing = Brought::default();
        assert_eq!(check_change(Done, nothing), Err(ChangeProblem::EvidenceMissing));
        for evidence in
            [Brought { note: true, ..nothing }, Brought { url: true, ..nothing }, Brought { image: true, ..nothing }]
        {
            assert_eq!(check_change(Done, evidence), Ok(()));
        }
        assert_eq!(
            check_change(Dropped, Brought { url: true, image: true, ..nothing }),
            Err(ChangeProblem::ReasonMissing)
        );
        assert_eq!(check_change(Dropped, Brought { note: true, ..nothing }), Ok(()));
        assert_eq!(check_change(InProgress, nothing), Ok(()));
        assert_eq!(check_change(Planned, nothing), Ok(()), "taken up again");
    }

    #[test]
    fn problem_codes_read_back() {
        for problem in ChangeProblem::ALL {
            assert_eq!(ChangeProblem::from_code(problem.code()), Some(problem));
        }
        assert_eq!(ChangeProblem::from_code("<script>"), None);
    }
}
