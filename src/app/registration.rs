//! Registering a volunteer who is present: on their own phone after verifying it, or at
//! the desk with staff after the desk verified it. Both make the same confirmed record
//! with the same consent; teams are registered through `web::handlers::register` with
//! their admin in one store call.

use crate::domain::people::{Consent, NewVolunteer, Source, Volunteer};
use crate::domain::registration::VolunteerFields;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Store a self-registered volunteer. `Taken(field)` names the phone or ID number that is
/// already registered.
pub fn register_volunteer(
    store: &Store,
    fields: VolunteerFields,
    consent: Consent,
    now: DateTime<Utc>,
) -> Result<Volunteer, StoreError> {
    let v = Volunteer::from_fields(
        fields,
        NewVolunteer {
            origin: store.installation_id(),
            now,
            source: Source::SelfRegistered,
            confirmed: true,
            consent: Some(consent),
        },
    );
    store.insert_volunteer(&v)?;
    Ok(v)
}
