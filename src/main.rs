use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = skm::cli::Cli::parse();
    match skm::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // the reader of our output went away (`skm … | head`): what the command did is done
        Err(skm::cli::CliError::Stdout(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::ExitCode::SUCCESS
        }
        Err(err @ skm::cli::CliError::Interrupted(_)) => {
            eprintln!("{err}");
            std::process::ExitCode::from(skm::cli::progress::INTERRUPTED_STATUS)
        }
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
