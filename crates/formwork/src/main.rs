fn main() -> std::process::ExitCode {
    formwork::cli::main()
}
