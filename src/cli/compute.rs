//! `skm compute --csv FILE`: the SPEC §3 result of a CSV of responses, without a database.

use super::{CliError, Context, MessageLang};
use crate::domain::decimal::parse_decimal;
use crate::domain::ikm;
use crate::domain::template::Weighting;
use crate::reports::summary;
use crate::sheets::csv;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// CSV file (`,` or `;` between cells): header of element codes (and optional
    /// profile/metadata columns), a row per respondent
    #[arg(long)]
    pub csv: PathBuf,
    /// Survey template id (default: the one the file's `template` column names, as `skm report`
    /// writes it, else the configured default template)
    #[arg(long)]
    pub template: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Use this fixed weight for every element instead of the template's weighting, e.g. 0.111
    #[arg(long)]
    pub fixed_weight: Option<String>,
    /// Population of the period, for the interval's finite population correction
    #[arg(long)]
    pub population: Option<u64>,
    /// language of the messages about the file
    #[arg(long, value_enum, default_value_t)]
    pub lang: MessageLang,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub fn run(context: &Context, args: ComputeArgs) -> Result<(), CliError> {
    let tr = args.lang.tr();
    let shown = args.csv.display();
    let refused = |issues: Vec<csv::CsvIssue>| {
        let lines: Vec<String> = issues.iter().map(|i| format!("{shown}: {}", i.text(tr))).collect();
        CliError::Input(lines.join("\n"))
    };
    let bytes = std::fs::read(&args.csv).map_err(|e| CliError::Input(format!("{shown}: {e}")))?;
    let named = csv::named_template(&bytes).map_err(refused)?;
    let id = match (args.template.as_deref(), named.as_deref()) {
        (Some(flag), Some(named)) if !flag.eq_ignore_ascii_case(named) => {
            return Err(CliError::Input(format!(
                "--template {flag}: {shown} holds answers to questionnaire {named} (its template column says so); \
                 leave out --template to read it with {named}"
            )));
        }
        (Some(flag), _) => flag,
        (None, Some(named)) => named,
        (None, None) => &context.config.default_template,
    };
    let mut template = (*context.catalog.get(id)?).clone();
    if let Some(text) = &args.fixed_weight {
        let weight = parse_decimal(text)
            .filter(|w| *w > num_rational::BigRational::from_integer(0.into()))
            .ok_or_else(|| CliError::Input(format!("--fixed-weight: '{text}' is not a positive decimal like 0.111")))?;
        template.weighting = Weighting::Fixed;
        template.elements.iter_mut().for_each(|e| e.weight = Some(weight.clone()));
    }
    let rows = csv::parse(&template, bytes.as_slice()).map_err(refused)?;
    let result = ikm::compute(&template, &csv::tally(&template, &rows), args.population);
    match args.format {
        Format::Table => say!("{}", summary::table(&template, &result).trim_end_matches('\n')),
        Format::Json => {
            let json = serde_json::to_string_pretty(&summary::summarize(&template, &result))
                .map_err(|e| CliError::Input(e.to_string()))?;
            say!("{json}");
        }
    }
    Ok(())
}
