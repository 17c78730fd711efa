//! The boundary: what a request may send, stated once in the OpenAPI document and kept by
//! the server from that same document, plus the cross-site forgery rules of API calls and
//! page forms. See DESIGN.md, "Hostile input".

pub mod contract;
pub mod csrf;
pub mod document;
pub mod guard;
pub mod scan;
