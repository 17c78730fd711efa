//! The integration tests of the formwork binary: the CLI, the HTTP API and the pages, each against a fresh SQLite and PostgreSQL database.
//!
//! One binary for all of them, so the whole stack is linked once rather than once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod bench_sql;
mod cli;
mod contract;
mod http_accounts;
mod http_approval_modes;
mod http_approval_patterns;
mod http_approvals;
mod http_approver_day;
mod http_apps;
mod http_defects;
mod http_delegation;
mod http_departments;
mod http_designer;
mod http_designer_api;
mod http_directory;
mod http_drafts;
mod http_field_access;
mod http_graph_props;
mod http_hooks;
mod http_hostile;
mod http_inbox_pages;
mod http_instances;
mod http_integrity;
mod http_jobs;
mod http_matrix;
mod http_oidc;
mod http_pages;
mod http_patterns;
mod http_people;
mod http_portal;
mod http_records;
mod jobs_kill;
mod one_clock;
mod projections;
mod reports_http;
mod reports_parity;
mod step_plans;
