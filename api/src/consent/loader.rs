use super::service::visible_consents;
use crate::{by_id_loader, child_page_loader};

by_id_loader!(ConsentId, consent, visible_consents);
child_page_loader!(
    ConsentsOf,
    ConsentCount,
    consent,
    HouseholdId,
    Id,
    visible_consents
);
