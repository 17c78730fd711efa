//! Embeds the designer's built single-page app (`designer-ui/dist`, committed) with
//! memory-serve: compressed with brotli at build time in release builds, read from disk in
//! debug builds so a rebuilt designer needs no cargo build.

fn main() {
    memory_serve::load_directory("../../designer-ui/dist");
}
