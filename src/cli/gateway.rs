//! `skm gateway test --phone 0812… [--link URL]`: one message through the configured SMS/WhatsApp
//! gateway, now, and the gateway's answer, so an operator can check the `gateway_*` settings.

use super::{CliError, Context};
use crate::domain::phone::Phone;
use crate::gateway::{Gateway, GatewayCounters, Message};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Send one test message (one attempt, no retries) and print the gateway's answer
    Test {
        /// the phone to send to: 08…, +628… or 628…
        #[arg(long)]
        phone: String,
        /// the link in the message (default: base_url)
        #[arg(long)]
        link: Option<String>,
    },
}

pub fn run(context: &Context, command: GatewayCommand) -> Result<(), CliError> {
    let GatewayCommand::Test { phone, link } = command;
    let settings = context
        .config
        .gateway
        .clone()
        .ok_or_else(|| CliError::Input("no gateway is configured: set gateway_url (SKM_GATEWAY_URL)".into()))?;
    let phone = Phone::parse(&phone).map_err(|e| CliError::Input(format!("--phone: {e}")))?;
    let gateway = Gateway::start(settings, GatewayCounters::default())?;
    let message = Message {
        link: link.unwrap_or_else(|| context.config.base_url.clone()),
        unit: "Uji coba SKM".into(),
        service: "pesan uji gateway".into(),
    };
    match gateway.send_now(&phone, &message) {
        Ok(answer) => {
            say!(
                "sent to {phone} via {}; the gateway answered {}: {}",
                gateway.host(),
                answer.status,
                answer.body.trim()
            );
            Ok(())
        }
        Err(e) => Err(CliError::Input(format!("not sent to {phone} via {}: {e}", gateway.host()))),
    }
}
