use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = skm::cli::Cli::parse();
    match skm::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
