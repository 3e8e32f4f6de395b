//! The 835 for the accepted claims of a file. Written with `rcm_x12::x835` once that module lands.

use crate::answer::ClaimAnswer;
use chrono::NaiveDate;
use rcm_x12::X12Error;
use rcm_x12::syntax::{GroupHeader, InterchangeHeader};
use rcm_x12::x837p::Transaction837;

/// The 835, or `None` when no claim was accepted with something to adjudicate.
pub fn write(
    _isa: &InterchangeHeader,
    _group: &GroupHeader,
    _read: &[&Transaction837],
    _claims: &[ClaimAnswer],
    _today: NaiveDate,
) -> Result<Option<String>, X12Error> {
    Ok(None)
}
