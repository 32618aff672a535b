//! The client's first organization and its owner's invite.

use super::Provisioner;
use crate::secrets_file::SecretsFile;
use crate::*;
use onboarding::invites::InviteToken;

impl<'a> Provisioner<'a> {
    /// Creates (or finds) the organization and its owner invite, gives the invite a token
    /// (kept in the secrets file, so a rerun hands over the same link while it is valid),
    /// and sends it through Resend when the operator configured Resend.
    pub(super) async fn first_organization(
        &mut self,
        client: &mut tokio_postgres::Client,
        secrets: &mut SecretsFile,
        app_url: &str,
        outcome: &mut Outcome,
    ) -> Result<(), Failure> {
        let refused = |err: organization::Refused| Failure::Database(err.to_string());
        let email = self.job.org_email.trim().to_lowercase();
        let found = organization::ensure(
            client,
            self.job.client_name.trim(),
            &self.job.client_id,
            &email,
            &outcome.plan,
        )
        .await
        .map_err(refused)?;
        if found.invite_email != email {
            return Err(Failure::Config(format!(
                "organization {} already invites {} as its owner, not {email}; change it in the project, not by provisioning again",
                self.job.client_id, found.invite_email
            )));
        }
        outcome.organization_id = Some(found.organization_id.clone());
        outcome.plan = found.plan.clone();
        outcome.invite_status = Some(found.invite_status.clone());
        if !matches!(found.invite_status.as_str(), "pending" | "expired") {
            // Accepted (the owner is in) or revoked (an admin decided): nothing to hand over.
            outcome.invite_email = Some("not_needed".into());
            return Ok(());
        }
        let resend = match (
            self.settings.passthrough_value("RESEND_API_KEY"),
            self.settings.passthrough_value("INVITE_EMAIL_FROM"),
        ) {
            (Some(key), Some(from)) => Some(onboarding::email::ResendConfig {
                api_url: self.settings.resend_api_url.clone(),
                api_key: key.clone(),
                from: from.expose().to_owned(),
            }),
            _ => None,
        };
        // The token of an earlier run is handed over again while it is the invite's, unless
        // it still has to be sent (a send needs a fresh issue: its attempt number).
        // (A kept value that is not a well-formed token is not ours: a new one is issued.)
        let kept = secrets
            .get("invite_token")
            .and_then(|token| InviteToken::parse(token.expose()))
            .filter(|token| {
                found.invite_status == "pending"
                    && found.token_hash.as_deref() == Some(token.hash().as_str())
                    && (resend.is_none() || found.sent)
            });
        let (token, issued) = match kept {
            Some(token) => (token, None),
            None => {
                let token = InviteToken::generate();
                // Kept before the token is issued: an interruption leaves a usable link.
                secrets.set("invite_token", token.as_str())?;
                let issued = organization::issue_token(client, &found.invite_id, &token.hash())
                    .await
                    .map_err(refused)?;
                (token, Some(issued))
            }
        };
        let link = onboarding::invites::invite_link(app_url, &token);
        outcome.invite_link = Some(link.clone());
        outcome.invite_status = Some("pending".into());
        let (resend, issued) = match (resend, issued) {
            (None, _) => {
                outcome.invite_email = Some("not_configured".into());
                return Ok(());
            }
            (Some(_), None) => {
                outcome.invite_email = Some("already_sent".into());
                return Ok(());
            }
            (Some(resend), Some(issued)) => (resend, issued),
        };
        let onboarding::invites::IssuedSend {
            email,
            send_attempt,
        } = onboarding::invites::issued_invite_email(&found.invite_id, &issued, &link).ok_or_else(
            || {
                Failure::Database(format!(
                    "issue_invite_token answered without a send: {issued}"
                ))
            },
        )?;
        let sent = onboarding::email::send_email(
            &platform::outbound::HttpOutbound::default(),
            &resend,
            &email,
            onboarding::email::DEFAULT_LIMITS,
        )
        .await;
        let error = sent.as_ref().err().map(ToString::to_string);
        organization::record_send(
            client,
            &found.invite_id,
            i32::try_from(send_attempt).unwrap_or_default(),
            error.as_deref(),
        )
        .await
        .map_err(refused)?;
        outcome.invite_email = Some(match error {
            None => "sent".into(),
            // Not fatal: the link is in the result, for the operator to hand over.
            Some(why) => format!("failed: {why}"),
        });
        Ok(())
    }
}
