//! Ids as types. Each id has a `parse` that is the only way in from outside (a URL, a body,
//! a database row), so a value of an id type is always well-formed:
//!
//! - ids Formwork makes (users, departments, records, tasks, …) are UUID v7 in lower-case
//!   hyphenated text, which sorts by creation time; [`UserId::new`] and friends make fresh ones;
//! - ids an analyst chooses (apps, forms, processes, roles) are `[a-z][a-z0-9_-]*`, at most 64
//!   characters, as the package schema says.
//!
//! They serialise as the plain string, so JSON shapes do not change.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest id text of any kind (a UUID is 36 characters).
pub const MAX_ID_LEN: usize = 64;

/// A text that is not a well-formed id of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{shown}` is not a valid {kind} id")]
pub struct IdError {
    /// Which id was expected, e.g. `record`.
    pub kind: &'static str,
    /// The refused text, cut to a readable length.
    pub shown: String,
}

impl IdError {
    fn new(kind: &'static str, text: &str) -> IdError {
        IdError {
            kind,
            shown: text.chars().take(MAX_ID_LEN + 1).collect(),
        }
    }
}

/// Whether `s` is a UUID v7 in lower-case hyphenated text.
fn is_uuid_v7(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'7'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Whether `s` is an analyst-chosen id: `[a-z][a-z0-9_-]*`, at most 64 characters.
fn is_ident(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= MAX_ID_LEN
        && bytes.next().is_some_and(|c| c.is_ascii_lowercase())
        && bytes.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}

/// An id type over a `String`, checked by `$valid`.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $valid:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// `text` as this id, if it is well-formed.
            pub fn parse(text: &str) -> Result<$name, IdError> {
                if $valid(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(IdError::new($kind, text))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<$name, IdError> {
                $name::parse(text)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An id Formwork makes: a UUID v7.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        id_type!($(#[$doc])* $name, $kind, is_uuid_v7);

        impl $name {
            /// A fresh id (sorts after every id made before it on this host).
            #[allow(clippy::new_without_default)]
            pub fn new() -> $name {
                $name(uuid::Uuid::now_v7().hyphenated().to_string())
            }
        }
    };
}

uuid_id!(
    /// A user (a person, or a program's account).
    UserId,
    "user"
);
uuid_id!(
    /// A department of the organisation.
    DepartmentId,
    "department"
);
uuid_id!(
    /// A record (one submitted form).
    RecordId,
    "record"
);
uuid_id!(
    /// A running or finished process instance.
    InstanceId,
    "process instance"
);
uuid_id!(
    /// A task of one person.
    TaskId,
    "task"
);
uuid_id!(
    /// An uploaded file.
    FileId,
    "file"
);
uuid_id!(
    /// An API token.
    TokenId,
    "token"
);
uuid_id!(
    /// A comment on a record.
    CommentId,
    "comment"
);
uuid_id!(
    /// An in-app notification.
    NotificationId,
    "notification"
);

id_type!(
    /// An app, e.g. `project-registration`.
    AppId,
    "app",
    is_ident
);
id_type!(
    /// A form of an app, e.g. `project`.
    FormId,
    "form",
    is_ident
);
id_type!(
    /// A process of an app, e.g. `registration_approval`.
    ProcessId,
    "process",
    is_ident
);
id_type!(
    /// A role, e.g. `director`.
    RoleId,
    "role",
    is_ident
);

/// The text of the id the command line acts under.
const SYSTEM: &str = "system";

impl UserId {
    /// The id command-line administration acts under and the audit log names as `system`.
    /// It is no row of `users`, and `parse` never gives it, so no request can claim it.
    pub fn system() -> UserId {
        UserId(SYSTEM.to_owned())
    }

    pub fn is_system(&self) -> bool {
        self.0 == SYSTEM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_uuid_ids_parse_back_and_sort_by_creation() {
        let a = RecordId::new();
        let b = RecordId::new();
        assert_eq!(RecordId::parse(a.as_str()), Ok(a.clone()));
        assert!(a < b);
    }

    #[test]
    fn uuid_ids_must_be_lower_case_hyphenated_version_seven() {
        let good = "01936f6e-8a4b-7c3d-9e2f-0123456789ab";
        assert!(UserId::parse(good).is_ok());
        for bad in [
            "",
            "system",
            "01936F6E-8A4B-7C3D-9E2F-0123456789AB",
            "01936f6e-8a4b-4c3d-9e2f-0123456789ab",
            "01936f6e-8a4b-7c3d-7e2f-0123456789ab",
            "01936f6e8a4b7c3d9e2f0123456789ab",
            "01936f6e-8a4b-7c3d-9e2f-0123456789ab0",
            "01936f6e-8a4b-7c3d-9e2f-0123456789a\u{0}",
            "../../etc/passwd",
        ] {
            let refused = UserId::parse(bad).unwrap_err();
            assert_eq!(refused.kind, "user", "{bad:?}");
        }
    }

    #[test]
    fn analyst_ids_follow_the_package_pattern_and_length() {
        for good in ["project-registration", "project", "app_designer", "a"] {
            assert!(AppId::parse(good).is_ok(), "{good}");
        }
        let long = "a".repeat(65);
        for bad in ["", "Project", "1abc", "a b", "a/b", "*", long.as_str()] {
            assert!(RoleId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_serialise_as_plain_strings_and_deserialise_only_when_valid() {
        let id = FormId::parse("project").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"project\"");
        assert!(serde_json::from_str::<FormId>("\"Project\"").is_err());
        assert_eq!(serde_json::from_str::<FormId>("\"project\"").unwrap(), id);
    }

    #[test]
    fn the_system_id_cannot_be_parsed() {
        assert!(UserId::system().is_system());
        assert!(UserId::parse("system").is_err());
    }

    #[test]
    fn a_refused_id_is_cut_to_a_readable_length() {
        let long = "x".repeat(10_000);
        assert_eq!(
            TaskId::parse(&long).unwrap_err().shown.len(),
            MAX_ID_LEN + 1
        );
    }
}
