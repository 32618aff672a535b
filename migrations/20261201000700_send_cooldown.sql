-- The resend cooldown and the hourly send limit, decided in the database before any email
-- leaves (issue 23): issue_invite_token claims the send (`send_claimed_at`) with the
-- organization and the invite locked, so of concurrent sends of one invite exactly one
-- goes out and the others get 429 with `retry_after`; the hourly count includes sends in
-- flight, so it holds at its edge too. record_invite_send ends the claim (a failed send
-- may be retried at once).

alter table public.onboarding_invites add column send_claimed_at timestamptz;

CREATE OR REPLACE FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer DEFAULT 72) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_invite public.onboarding_invites;
  v_organization_name text;
  v_sends integer;
  v_oldest timestamptz;
begin
  if p_token_hash !~ '^[0-9a-f]{64}$' or p_ttl_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_arguments';
  end if;
  -- The organization first, then the invite: concurrent sends of its invites are decided
  -- one after another, each seeing the claims made before it. `no key update`, so rows
  -- referencing the organization (the audit row a recorded send writes) are not held up:
  -- that wait, under the invite's lock, would deadlock.
  perform 1 from public.organizations
  where id = (select organization_id from public.onboarding_invites where id = p_invite_id) for no key update;
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not (auth.role() = 'service_role'
          or (private.caller_role(v_invite.organization_id) is not null
              and public.authorize(v_invite.organization_id, 'org:members:invite'))) then
    -- The code stays the one send-invite-email always answered (a documented contract).
    raise exception using errcode = '42501', message = 'not_platform_admin',
      detail = 'only platform admins, and the owners and admins of the organization, send its invites';
  end if;
  if v_invite.id is null then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'accepted' then
    raise exception using message = 'invite_already_accepted';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  -- One address is not sent twice within 60 s: a send recorded, or one claimed and still
  -- in flight, holds the next off.
  if greatest(v_invite.sent_at, v_invite.send_claimed_at) > now() - interval '60 seconds' then
    -- (A claim made by a transaction that began after this one is never more than 60 s away.)
    perform private.raise_rate_limited(least(greatest(v_invite.sent_at, v_invite.send_claimed_at), now()) + interval '60 seconds');
  end if;
  -- The organization's sends in the last hour: those recorded, and those claimed in flight.
  select count(*), min(at) into v_sends, v_oldest from (
    select at from public.organization_audit_log
    where organization_id = v_invite.organization_id and action = 'invite.sent' and at > now() - interval '1 hour'
    union all
    select send_claimed_at from public.onboarding_invites
    where organization_id = v_invite.organization_id and send_claimed_at > now() - interval '60 seconds') sends;
  if v_sends >= private.invite_rate_per_hour() then
    perform private.raise_rate_limited(v_oldest + interval '1 hour');
  end if;
  begin
    -- A new token replaces the old one: the previous link stops working.
    update public.onboarding_invites
    set token_hash = p_token_hash, status = 'pending',
        expires_at = now() + make_interval(hours => p_ttl_hours),
        send_attempts = send_attempts + 1, last_send_error = null, send_claimed_at = now()
    where id = p_invite_id
    returning * into v_invite;
  exception when unique_violation then
    -- An expired invite being revived while a newer one for the email is pending.
    raise exception using message = 'invite_superseded';
  end;
  select name into v_organization_name from public.organizations where id = v_invite.organization_id;
  return jsonb_build_object(
    'invite_id', v_invite.id, 'organization_id', v_invite.organization_id,
    'organization_name', v_organization_name, 'email', v_invite.email, 'role', v_invite.role,
    'expires_at', v_invite.expires_at, 'send_attempt', v_invite.send_attempts);
end
$_$;

CREATE OR REPLACE FUNCTION public.record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  -- The send's claim ends either way: recorded as sent, or released so it may be retried.
  update public.onboarding_invites
  set sent_at = case when p_error is null then now() else sent_at end,
      last_send_error = left(p_error, 500),
      send_claimed_at = null
  where id = p_invite_id and send_attempts = p_send_attempt
$$;
