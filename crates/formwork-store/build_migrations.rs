//! The build script of both store backends (each names this file in its `Cargo.toml`): lists
//! `migrations/<backend>/*.sql` and generates the function that embeds them, so a migration is
//! added by adding its file. Fails the build when the two backends' folders do not hold the
//! same file names, one logical change per pair.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn sql_files(dir: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn main() -> Result<(), Box<dyn Error>> {
    let package = std::env::var("CARGO_PKG_NAME")?;
    let backend = package
        .strip_prefix("formwork-store-")
        .ok_or("this build script belongs to formwork-store-<backend>")?;
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    let sqlite = sql_files(&root.join("sqlite"))?;
    let postgres = sql_files(&root.join("postgres"))?;
    if sqlite != postgres {
        return Err(format!(
            "migrations/sqlite and migrations/postgres must hold the same file names:\n  \
             sqlite:   {sqlite:?}\n  postgres: {postgres:?}"
        )
        .into());
    }
    let mut code = String::from(
        "/// The migrations of this backend's folder, in order.\n\
         fn embedded_migrations() -> Vec<sqlx::migrate::Migration> {\n    vec![\n",
    );
    for name in &sqlite {
        let stem = name.trim_end_matches(".sql");
        let (number, description) = stem
            .split_once('_')
            .ok_or_else(|| format!("migration `{name}` is not named NNNN_description.sql"))?;
        let version: i64 = number
            .parse()
            .map_err(|_| format!("migration `{name}` does not start with its number"))?;
        let path = root.join(backend).join(name).canonicalize()?;
        writeln!(
            code,
            "        sqlx::migrate::Migration::new({version}, {:?}.into(), \
             sqlx::migrate::MigrationType::Simple, \
             sqlx::SqlSafeStr::into_sql_str(include_str!({:?})), false),",
            description.replace('_', " "),
            path.display().to_string(),
        )?;
    }
    code.push_str("    ]\n}\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("migrations.rs");
    std::fs::write(out, code)?;
    Ok(())
}
