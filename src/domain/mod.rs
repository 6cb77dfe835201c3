//! Pure domain: templates, the IKM arithmetic, sampling, periods, ranking, and the follow-up and
//! publication evidence rules. No I/O here.

pub mod decimal;
pub mod desk;
pub mod device;
pub mod email;
pub mod follow_up;
pub mod gateway;
pub mod ikm;
pub mod interval;
pub mod invitation;
pub mod letterhead;
pub mod names;
pub mod period;
pub mod phone;
pub mod population;
pub mod proof;
pub mod ranking;
pub mod readiness;
pub mod response_rate;
pub mod sampling;
pub mod submission;
pub mod template;
pub mod zone;
