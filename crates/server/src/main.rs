fn main() -> std::process::ExitCode {
    witzo_server::cli::main()
}
