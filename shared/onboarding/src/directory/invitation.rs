//! The email a directory sends someone it added before they had an account (when the
//! organization chose so): where to sign up, with which address. No token: the
//! membership completes when that address is confirmed, whichever way they sign up.

use crate::email::Email;
use crate::invites::{html_escape, InviteEmail};

pub fn invitation_email(
    organization_name: &str,
    app_url: &str,
    to: &str,
    directory_user_id: &str,
) -> Email {
    let link = format!("{}/signup", app_url.trim_end_matches('/'));
    let body = crate::invites::invite_email(
        organization_name,
        &link,
        "no date: it waits for your signup",
    );
    let InviteEmail { html, text, .. } = body;
    Email {
        to: to.to_owned(),
        subject: format!("You have been added to {organization_name}"),
        html: format!(
            "{html}<p>Sign up with this address ({}) and confirm it: you join at once.</p>",
            html_escape(to)
        ),
        text: format!(
            "{text}\nSign up with this address ({to}) and confirm it: you join at once.\n"
        ),
        // One email per directory user, however often the provider retries the create.
        idempotency_key: format!("scim-invitation-{directory_user_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_names_the_organization_and_the_address_escaped() {
        let email = invitation_email("<Acme>", "https://app.example/", "a@b.c", "42");
        assert_eq!(email.subject, "You have been added to <Acme>");
        assert!(email.html.contains("&lt;Acme&gt;") && !email.html.contains("<Acme>"));
        assert!(email.text.contains("https://app.example/signup"));
        assert_eq!(email.idempotency_key, "scim-invitation-42");
    }
}
