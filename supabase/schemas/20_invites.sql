-- Invites: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION enabled_features(uuid)
CREATE FUNCTION private.enabled_features(p_organization_id uuid) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  return (
    select coalesce(array_agg(key order by key), '{}')
    from (
      select pf.feature_key as key
      from public.organizations o join public.plan_features pf on pf.plan_id = o.plan_id
      where o.id = p_organization_id
        and not exists (select 1 from public.organization_feature_overrides x
                        where x.organization_id = o.id and x.feature_key = pf.feature_key and not x.enabled)
      union
      select x.feature_key from public.organization_feature_overrides x
      where x.organization_id = p_organization_id and x.enabled
    ) enabled);
end
$$;

-- COMMENT FUNCTION enabled_features(p_organization_id uuid)
COMMENT ON FUNCTION private.enabled_features(p_organization_id uuid) IS 'The plan''s features, plus overrides switched on, minus overrides switched off.';

-- FUNCTION handle_new_user_assign_default_role()
CREATE FUNCTION private.handle_new_user_assign_default_role() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  insert into public.platform_roles (user_id) values (new.id) on conflict (user_id) do nothing;
  return new;
end
$$;

-- FUNCTION require_platform_admin()
CREATE FUNCTION private.require_platform_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
  if not (private.is_platform_admin() or auth.role() = 'service_role') then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_platform_admin',
      detail = 'only platform admins may do this';
  end if;
end
$$;

-- COMMENT FUNCTION require_platform_admin()
COMMENT ON FUNCTION private.require_platform_admin() IS 'Refuses anyone but a platform admin (at aal2: below it, `mfa_required`) or the service role (`not_platform_admin`).';

-- FUNCTION set_platform_role(text, text)
CREATE FUNCTION private.set_platform_role(p_email text, p_role text) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_user_id uuid;
begin
  select id into v_user_id from auth.users where lower(email) = lower(btrim(p_email));
  if v_user_id is null then
    raise exception using errcode = 'P0002', message = 'user_not_found', detail = format('no user with email %s', p_email);
  end if;
  insert into public.platform_roles (user_id, role) values (v_user_id, p_role)
  on conflict (user_id) do update set role = excluded.role, assigned_at = now();
  return v_user_id;
end
$$;

-- COMMENT FUNCTION set_platform_role(p_email text, p_role text)
COMMENT ON FUNCTION private.set_platform_role(p_email text, p_role text) IS 'For operators: select private.set_platform_role(''ops@example.com'', ''platform_admin'');';

-- ACL FUNCTION set_platform_role(p_email text, p_role text)
REVOKE ALL ON FUNCTION private.set_platform_role(p_email text, p_role text) FROM PUBLIC;

-- FUNCTION accept_invite(text)
CREATE FUNCTION public.accept_invite(p_token_hash text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
begin
  if auth.uid() is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  select id into v_id from public.onboarding_invites where token_hash = p_token_hash;
  if found then
    return private.accept_invite_row(v_id);
  end if;
  select id into v_id from public.invite_links where token_hash = p_token_hash;
  if found then
    return private.accept_invite_link(v_id);
  end if;
  raise exception using message = 'invite_not_found';
end
$$;

-- ACL FUNCTION accept_invite(p_token_hash text)
REVOKE ALL ON FUNCTION public.accept_invite(p_token_hash text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.accept_invite(p_token_hash text) TO authenticated;
GRANT ALL ON FUNCTION public.accept_invite(p_token_hash text) TO service_role;

-- FUNCTION admin_create_organization(text, text, text, text, jsonb, text, integer)
CREATE FUNCTION public.admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text DEFAULT 'starter'::text, p_feature_overrides jsonb DEFAULT '{}'::jsonb, p_billing_email text DEFAULT NULL::text, p_invite_ttl_hours integer DEFAULT 72) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_name text := btrim(coalesce(p_name, ''));
  v_slug text := lower(btrim(coalesce(p_slug, '')));
  v_email text := lower(btrim(coalesce(p_owner_email, '')));
  v_billing_email text := lower(btrim(coalesce(p_billing_email, p_owner_email, '')));
  v_organization_id uuid;
  v_invite_id uuid;
  v_expires_at timestamptz;
  v_feature record;
begin
  perform private.require_platform_admin();
  if char_length(v_name) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'invalid_name', detail = 'name must be 1-200 characters';
  end if;
  if char_length(v_slug) > 63 or v_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    raise exception using errcode = '22023', message = 'invalid_slug',
      detail = 'slug must be 1-63 characters of a-z, 0-9 and single dashes';
  end if;
  if char_length(v_email) > 320 or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_email', detail = 'owner email is not an email address';
  end if;
  if v_billing_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception using errcode = '22023', message = 'invalid_billing_email', detail = 'billing email is not an email address';
  end if;
  if not exists (select 1 from public.plans where id = p_plan) then
    raise exception using errcode = '22023', message = 'invalid_plan', detail = format('unknown plan %L', p_plan);
  end if;
  if jsonb_typeof(coalesce(p_feature_overrides, '{}')) <> 'object' then
    raise exception using errcode = '22023', message = 'invalid_feature_overrides',
      detail = 'feature overrides must be an object of feature key to boolean';
  end if;
  if p_invite_ttl_hours is null or p_invite_ttl_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_ttl', detail = 'invite TTL must be 1-720 hours';
  end if;

  begin
    insert into public.organizations (name, slug, status, plan_id, created_by)
    values (v_name, v_slug, 'pending-activation', p_plan, auth.uid())
    returning id into v_organization_id;
  exception when unique_violation then
    raise exception using errcode = '23505', message = 'slug_taken', detail = format('slug %L is taken', v_slug);
  end;

  insert into public.organization_billing (organization_id, billing_email)
  values (v_organization_id, v_billing_email);

  for v_feature in select key, value from jsonb_each(coalesce(p_feature_overrides, '{}')) loop
    if jsonb_typeof(v_feature.value) <> 'boolean' or not exists (select 1 from public.features where key = v_feature.key) then
      raise exception using errcode = '22023', message = 'invalid_feature_overrides',
        detail = format('%L is not a known feature with a boolean value', v_feature.key);
    end if;
    insert into public.organization_feature_overrides (organization_id, feature_key, enabled)
    values (v_organization_id, v_feature.key, v_feature.value::boolean);
  end loop;

  v_expires_at := now() + make_interval(hours => p_invite_ttl_hours);
  insert into public.onboarding_invites (organization_id, email, role, expires_at, created_by)
  values (v_organization_id, v_email, 'owner', v_expires_at, auth.uid())
  returning id into v_invite_id;

  return jsonb_build_object(
    'organization_id', v_organization_id, 'slug', v_slug, 'status', 'pending-activation',
    'plan', p_plan, 'features', to_jsonb(private.enabled_features(v_organization_id)),
    'invite_id', v_invite_id, 'email', v_email, 'expires_at', v_expires_at);
end
$_$;

-- ACL FUNCTION admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text, p_feature_overrides jsonb, p_billing_email text, p_invite_ttl_hours integer)
REVOKE ALL ON FUNCTION public.admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text, p_feature_overrides jsonb, p_billing_email text, p_invite_ttl_hours integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text, p_feature_overrides jsonb, p_billing_email text, p_invite_ttl_hours integer) TO authenticated;
GRANT ALL ON FUNCTION public.admin_create_organization(p_name text, p_slug text, p_owner_email text, p_plan text, p_feature_overrides jsonb, p_billing_email text, p_invite_ttl_hours integer) TO service_role;

-- FUNCTION complete_onboarding(uuid)
CREATE FUNCTION public.complete_onboarding(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_missing text[];
begin
  perform private.caller_role(p_organization_id);
  if not public.authorize(p_organization_id, 'org:activate') then
    raise exception using errcode = 'PT403', message = 'not_owner', detail = 'only the owner completes onboarding';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id for no key update;
  if v_organization.onboarding_completed_at is null then
    select coalesce(array_agg(s.key order by s.phase_position), '{}') into v_missing
    from private.onboarding_phases(private.enabled_features(p_organization_id)) s
    where s.shown and not exists (select 1 from public.organization_onboarding_phases p
                                  where p.organization_id = p_organization_id and p.phase = s.key and p.done);
    if cardinality(v_missing) > 0 then
      raise exception using errcode = 'PT409', message = 'onboarding_incomplete',
        detail = 'phases not done: ' || array_to_string(v_missing, ', '),
        hint = array_to_json(v_missing)::text;
    end if;
  end if;
  update public.organizations
  set status = 'active', onboarding_completed_at = coalesce(onboarding_completed_at, now())
  where id = p_organization_id
  returning * into v_organization;
  return jsonb_build_object('organization_id', v_organization.id, 'status', v_organization.status,
                            'onboarding_completed_at', v_organization.onboarding_completed_at);
end
$$;

-- ACL FUNCTION complete_onboarding(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.complete_onboarding(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.complete_onboarding(p_organization_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.complete_onboarding(p_organization_id uuid) TO service_role;

-- FUNCTION expire_onboarding_invites()
CREATE FUNCTION public.expire_onboarding_invites() RETURNS integer
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  with expired as (
    update public.onboarding_invites set status = 'expired'
    where status = 'pending' and expires_at <= now()
    returning 1)
  select count(*)::integer from expired
$$;

-- ACL FUNCTION expire_onboarding_invites()
REVOKE ALL ON FUNCTION public.expire_onboarding_invites() FROM PUBLIC;
GRANT ALL ON FUNCTION public.expire_onboarding_invites() TO service_role;

-- FUNCTION issue_invite_token(uuid, text, integer)
CREATE FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer DEFAULT 72) RETURNS jsonb
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

-- COMMENT FUNCTION issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer)
COMMENT ON FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer) IS 'For send-invite-email: stores the hash of a fresh token for a pending (or expired) invite, extends its expiry and claims the send, within the organization''s hourly budget and the address''s 60 s cooldown (429 `rate_limited`). For platform admins and those who invite in the invite''s organization.';

-- ACL FUNCTION issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer)
REVOKE ALL ON FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer) TO authenticated;
GRANT ALL ON FUNCTION public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer) TO service_role;

-- FUNCTION organization_onboarding(uuid)
CREATE FUNCTION public.organization_onboarding(p_organization_id uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_organization public.organizations;
  v_features text[];
begin
  perform private.caller_role(p_organization_id);
  if not (p_organization_id in (select private.member_organization_ids()) or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'organization_not_found', detail = 'no such organization';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id;
  v_features := private.enabled_features(p_organization_id);
  return jsonb_build_object(
    'organization_id', v_organization.id, 'name', v_organization.name, 'status', v_organization.status,
    'plan', v_organization.plan_id, 'features', to_jsonb(v_features),
    'onboarding_completed_at', v_organization.onboarding_completed_at,
    'phases', (
      select jsonb_agg(private.onboarding_phase_view(p_organization_id, key, title) order by phase_position)
      from private.onboarding_phases(v_features) where shown));
end
$$;

-- ACL FUNCTION organization_onboarding(p_organization_id uuid)
REVOKE ALL ON FUNCTION public.organization_onboarding(p_organization_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.organization_onboarding(p_organization_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.organization_onboarding(p_organization_id uuid) TO service_role;

-- FUNCTION record_invite_send(uuid, integer, text)
CREATE FUNCTION public.record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text) RETURNS void
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

-- ACL FUNCTION record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text)
REVOKE ALL ON FUNCTION public.record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text) TO service_role;

-- FUNCTION revoke_invite(uuid)
CREATE FUNCTION public.revoke_invite(p_invite_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_invite public.onboarding_invites;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found or not (auth.role() = 'service_role'
                       or (private.caller_role(v_invite.organization_id) is not null
                           and public.authorize(v_invite.organization_id, 'org:members:invite'))) then
    raise exception using errcode = 'PT404', message = 'invite_not_found', detail = 'no such invitation';
  end if;
  if v_invite.status = 'accepted' then
    raise exception using errcode = 'PT409', message = 'invite_already_accepted',
      detail = 'an accepted invitation cannot be revoked';
  end if;
  update public.onboarding_invites
  set status = 'revoked', revoked_at = coalesce(revoked_at, now())
  where id = p_invite_id returning * into v_invite;
  return jsonb_build_object('invite_id', v_invite.id, 'status', v_invite.status, 'revoked_at', v_invite.revoked_at);
end
$$;

-- COMMENT FUNCTION revoke_invite(p_invite_id uuid)
COMMENT ON FUNCTION public.revoke_invite(p_invite_id uuid) IS 'Revokes a pending invite: for platform admins and the holders of org:members:invite in its organization.';

-- ACL FUNCTION revoke_invite(p_invite_id uuid)
REVOKE ALL ON FUNCTION public.revoke_invite(p_invite_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.revoke_invite(p_invite_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.revoke_invite(p_invite_id uuid) TO service_role;

-- FUNCTION validate_invite(text)
CREATE FUNCTION public.validate_invite(p_token_hash text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_invite public.onboarding_invites;
  v_link public.invite_links;
  v_organization public.organizations;
  v_features text[];
begin
  select * into v_invite from public.onboarding_invites where token_hash = p_token_hash;
  if found then
    if v_invite.status = 'revoked' then
      raise exception using message = 'invite_revoked';
    elsif v_invite.status = 'accepted' then
      raise exception using message = 'invite_already_accepted';
    elsif v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
  else
    select * into v_link from public.invite_links where token_hash = p_token_hash;
    if not found then
      raise exception using message = 'invite_not_found';
    end if;
    perform private.check_invite_link(v_link);
  end if;
  select * into v_organization from public.organizations where id = coalesce(v_invite.organization_id, v_link.organization_id);
  perform private.require_usable_organization(v_organization.id);
  v_features := private.enabled_features(v_organization.id);
  return jsonb_build_object(
    'kind', case when v_link.id is null then 'invite' else 'link' end,
    'organization', jsonb_build_object('id', v_organization.id, 'name', v_organization.name, 'slug', v_organization.slug),
    'plan', (select jsonb_build_object('id', p.id, 'name', p.name) from public.plans p where p.id = v_organization.plan_id),
    'features', (select coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'name', f.name) order by f.key), '[]')
                 from public.features f where f.key = any (v_features)),
    'feature_count', cardinality(v_features),
    'email', v_invite.email,
    'role', coalesce(v_invite.role, v_link.role),
    'expires_at', coalesce(v_invite.expires_at, v_link.expires_at),
    'allowed_domain', v_link.allowed_domain);
end
$$;

-- COMMENT FUNCTION validate_invite(p_token_hash text)
COMMENT ON FUNCTION public.validate_invite(p_token_hash text) IS 'The preview behind an invitation''s or a link''s token: `kind` says which.';

-- ACL FUNCTION validate_invite(p_token_hash text)
REVOKE ALL ON FUNCTION public.validate_invite(p_token_hash text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.validate_invite(p_token_hash text) TO service_role;

-- TABLE features
CREATE TABLE public.features (
    key text NOT NULL,
    name text NOT NULL,
    CONSTRAINT features_key_check CHECK ((key ~ '^[a-z0-9-]+$'::text))
);

-- COMMENT TABLE features
COMMENT ON TABLE public.features IS 'The catalogue of features a plan (or an override) turns on: custom-domain, white-label, ats-api-sync, webhooks, custom-roles';

-- ACL TABLE features
GRANT ALL ON TABLE public.features TO service_role;
GRANT SELECT ON TABLE public.features TO authenticated;

-- TABLE onboarding_invites
CREATE TABLE public.onboarding_invites (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    email text NOT NULL,
    role text DEFAULT 'owner'::text NOT NULL,
    token_hash text,
    status text DEFAULT 'pending'::text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    send_attempts integer DEFAULT 0 NOT NULL,
    last_send_error text,
    accepted_at timestamp with time zone,
    accepted_by uuid,
    revoked_at timestamp with time zone,
    declined_at timestamp with time zone,
    domain_id uuid,
    send_claimed_at timestamp with time zone,
    CONSTRAINT onboarding_invites_check CHECK (((status <> 'accepted'::text) OR ((accepted_at IS NOT NULL) AND (accepted_by IS NOT NULL)))),
    CONSTRAINT onboarding_invites_email_check CHECK (((email = lower(email)) AND (char_length(email) <= 320) AND (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'::text))),
    CONSTRAINT onboarding_invites_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'accepted'::text, 'expired'::text, 'revoked'::text, 'declined'::text]))),
    CONSTRAINT onboarding_invites_token_hash_check CHECK ((token_hash ~ '^[0-9a-f]{64}$'::text))
);

-- COMMENT TABLE onboarding_invites
COMMENT ON TABLE public.onboarding_invites IS 'Invitations to join an organization, by email or made by a verified domain: email (lower-case), role, status (pending, accepted, expired, revoked, declined), expiry, sends. At most one pending invite per organization and address. Only the SHA-256 of a token is kept.';

-- COMMENT COLUMN onboarding_invites.token_hash
COMMENT ON COLUMN public.onboarding_invites.token_hash IS 'SHA-256 (hex) of the token in the link; null until the first send. Never the token.';

-- ACL COLUMN onboarding_invites.domain_id
GRANT SELECT(domain_id) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.declined_at
GRANT SELECT(declined_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.revoked_at
GRANT SELECT(revoked_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.accepted_by
GRANT SELECT(accepted_by) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.accepted_at
GRANT SELECT(accepted_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.last_send_error
GRANT SELECT(last_send_error) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.send_attempts
GRANT SELECT(send_attempts) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.sent_at
GRANT SELECT(sent_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.updated_at
GRANT SELECT(updated_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.created_at
GRANT SELECT(created_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.created_by
GRANT SELECT(created_by) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.expires_at
GRANT SELECT(expires_at) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.status
GRANT SELECT(status) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.role
GRANT SELECT(role) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.email
GRANT SELECT(email) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.organization_id
GRANT SELECT(organization_id) ON TABLE public.onboarding_invites TO authenticated;

-- ACL COLUMN onboarding_invites.id
GRANT SELECT(id) ON TABLE public.onboarding_invites TO authenticated;

-- ACL TABLE onboarding_invites
GRANT ALL ON TABLE public.onboarding_invites TO service_role;

-- TABLE organization_billing
CREATE TABLE public.organization_billing (
    organization_id uuid NOT NULL,
    billing_email text NOT NULL,
    status text DEFAULT 'trialing'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    legal_name text,
    tax_id text,
    address_line1 text,
    address_line2 text,
    city text,
    postal_code text,
    region text,
    country text,
    CONSTRAINT organization_billing_address_line1_check CHECK ((char_length(address_line1) <= 200)),
    CONSTRAINT organization_billing_address_line2_check CHECK ((char_length(address_line2) <= 200)),
    CONSTRAINT organization_billing_city_check CHECK ((char_length(city) <= 100)),
    CONSTRAINT organization_billing_country_check CHECK ((country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT organization_billing_legal_name_check CHECK ((char_length(legal_name) <= 200)),
    CONSTRAINT organization_billing_postal_code_check CHECK ((char_length(postal_code) <= 20)),
    CONSTRAINT organization_billing_region_check CHECK ((char_length(region) <= 100)),
    CONSTRAINT organization_billing_status_check CHECK ((status = ANY (ARRAY['trialing'::text, 'active'::text, 'past_due'::text, 'canceled'::text]))),
    CONSTRAINT organization_billing_tax_id_check CHECK ((char_length(tax_id) <= 32))
);

-- COMMENT TABLE organization_billing
COMMENT ON TABLE public.organization_billing IS 'An organization''s billing details (email, legal name, tax id, address), saved by the Billing onboarding phase.';

-- ACL TABLE organization_billing
GRANT ALL ON TABLE public.organization_billing TO service_role;
GRANT SELECT ON TABLE public.organization_billing TO authenticated;

-- TABLE organization_feature_overrides
CREATE TABLE public.organization_feature_overrides (
    organization_id uuid NOT NULL,
    feature_key text NOT NULL,
    enabled boolean NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE organization_feature_overrides
COMMENT ON TABLE public.organization_feature_overrides IS 'Features turned on (or off) for one organization beyond what its plan gives.';

-- ACL TABLE organization_feature_overrides
GRANT ALL ON TABLE public.organization_feature_overrides TO service_role;
GRANT SELECT ON TABLE public.organization_feature_overrides TO authenticated;

-- TABLE plan_features
CREATE TABLE public.plan_features (
    plan_id text NOT NULL,
    feature_key text NOT NULL
);

-- COMMENT TABLE plan_features
COMMENT ON TABLE public.plan_features IS 'Which features each plan includes.';

-- ACL TABLE plan_features
GRANT ALL ON TABLE public.plan_features TO service_role;
GRANT SELECT ON TABLE public.plan_features TO authenticated;

-- TABLE plans
CREATE TABLE public.plans (
    id text NOT NULL,
    name text NOT NULL,
    sort_order integer DEFAULT 0 NOT NULL,
    member_limit integer,
    CONSTRAINT plans_id_check CHECK ((id ~ '^[a-z0-9-]+$'::text)),
    CONSTRAINT plans_member_limit_check CHECK ((member_limit > 0))
);

-- COMMENT TABLE plans
COMMENT ON TABLE public.plans IS 'The plans an organization may be on (free, starter, growth, enterprise) and their member limits.';

-- ACL TABLE plans
GRANT ALL ON TABLE public.plans TO service_role;
GRANT SELECT ON TABLE public.plans TO authenticated;

-- TABLE platform_roles
CREATE TABLE public.platform_roles (
    user_id uuid NOT NULL,
    role text DEFAULT 'client_user'::text NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT platform_roles_role_check CHECK ((role = ANY (ARRAY['platform_admin'::text, 'client_user'::text])))
);

-- COMMENT TABLE platform_roles
COMMENT ON TABLE public.platform_roles IS 'Each user''s platform role: client_user (assigned at signup) or platform_admin (set by an operator with private.set_platform_role).';

-- ACL TABLE platform_roles
GRANT ALL ON TABLE public.platform_roles TO service_role;
GRANT SELECT ON TABLE public.platform_roles TO authenticated;

-- CONSTRAINT features features_pkey
ALTER TABLE ONLY public.features
    ADD CONSTRAINT features_pkey PRIMARY KEY (key);

-- CONSTRAINT onboarding_invites onboarding_invites_pkey
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_pkey PRIMARY KEY (id);

-- CONSTRAINT onboarding_invites onboarding_invites_token_hash_key
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_token_hash_key UNIQUE (token_hash);

-- CONSTRAINT organization_billing organization_billing_pkey
ALTER TABLE ONLY public.organization_billing
    ADD CONSTRAINT organization_billing_pkey PRIMARY KEY (organization_id);

-- CONSTRAINT organization_feature_overrides organization_feature_overrides_pkey
ALTER TABLE ONLY public.organization_feature_overrides
    ADD CONSTRAINT organization_feature_overrides_pkey PRIMARY KEY (organization_id, feature_key);

-- CONSTRAINT plan_features plan_features_pkey
ALTER TABLE ONLY public.plan_features
    ADD CONSTRAINT plan_features_pkey PRIMARY KEY (plan_id, feature_key);

-- CONSTRAINT plans plans_pkey
ALTER TABLE ONLY public.plans
    ADD CONSTRAINT plans_pkey PRIMARY KEY (id);

-- CONSTRAINT platform_roles platform_roles_pkey
ALTER TABLE ONLY public.platform_roles
    ADD CONSTRAINT platform_roles_pkey PRIMARY KEY (user_id);

-- INDEX onboarding_invites_one_pending_per_email
CREATE UNIQUE INDEX onboarding_invites_one_pending_per_email ON public.onboarding_invites USING btree (organization_id, email) WHERE (status = 'pending'::text);

-- INDEX onboarding_invites_organization_id_idx
CREATE INDEX onboarding_invites_organization_id_idx ON public.onboarding_invites USING btree (organization_id, id);

-- INDEX onboarding_invites_pending_email_idx
CREATE INDEX onboarding_invites_pending_email_idx ON public.onboarding_invites USING btree (email) WHERE (status = 'pending'::text);

-- TRIGGER users handle_new_user_assign_default_role
CREATE TRIGGER handle_new_user_assign_default_role AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION private.handle_new_user_assign_default_role();

-- TRIGGER onboarding_invites touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.onboarding_invites FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- TRIGGER organization_billing touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.organization_billing FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT onboarding_invites onboarding_invites_accepted_by_fkey
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_accepted_by_fkey FOREIGN KEY (accepted_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT onboarding_invites onboarding_invites_created_by_fkey
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT onboarding_invites onboarding_invites_organization_id_fkey
ALTER TABLE ONLY public.onboarding_invites
    ADD CONSTRAINT onboarding_invites_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_billing organization_billing_organization_id_fkey
ALTER TABLE ONLY public.organization_billing
    ADD CONSTRAINT organization_billing_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organization_feature_overrides organization_feature_overrides_feature_key_fkey
ALTER TABLE ONLY public.organization_feature_overrides
    ADD CONSTRAINT organization_feature_overrides_feature_key_fkey FOREIGN KEY (feature_key) REFERENCES public.features(key) ON DELETE CASCADE;

-- FK CONSTRAINT organization_feature_overrides organization_feature_overrides_organization_id_fkey
ALTER TABLE ONLY public.organization_feature_overrides
    ADD CONSTRAINT organization_feature_overrides_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT organizations organizations_plan_id_fkey
ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES public.plans(id);

-- FK CONSTRAINT plan_features plan_features_feature_key_fkey
ALTER TABLE ONLY public.plan_features
    ADD CONSTRAINT plan_features_feature_key_fkey FOREIGN KEY (feature_key) REFERENCES public.features(key) ON DELETE CASCADE;

-- FK CONSTRAINT plan_features plan_features_plan_id_fkey
ALTER TABLE ONLY public.plan_features
    ADD CONSTRAINT plan_features_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES public.plans(id) ON DELETE CASCADE;

-- FK CONSTRAINT platform_roles platform_roles_user_id_fkey
ALTER TABLE ONLY public.platform_roles
    ADD CONSTRAINT platform_roles_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

-- ROW SECURITY features
ALTER TABLE public.features ENABLE ROW LEVEL SECURITY;

-- POLICY organization_billing members and admins read billing
CREATE POLICY "members and admins read billing" ON public.organization_billing FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[])));

-- POLICY organization_feature_overrides members and admins read feature overrides
CREATE POLICY "members and admins read feature overrides" ON public.organization_feature_overrides FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations() AS readable_organizations)::uuid[])));

-- ROW SECURITY onboarding_invites
ALTER TABLE public.onboarding_invites ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY organization_billing
ALTER TABLE public.organization_billing ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY organization_feature_overrides
ALTER TABLE public.organization_feature_overrides ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY plan_features
ALTER TABLE public.plan_features ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY plans
ALTER TABLE public.plans ENABLE ROW LEVEL SECURITY;

-- POLICY onboarding_invites platform admins read all invites, inviters their organization's
CREATE POLICY "platform admins read all invites, inviters their organization's" ON public.onboarding_invites FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.readable_organizations('org:members:invite'::text) AS readable_organizations)::uuid[])));

-- ROW SECURITY platform_roles
ALTER TABLE public.platform_roles ENABLE ROW LEVEL SECURITY;

-- POLICY platform_roles read own platform role, admins read all
CREATE POLICY "read own platform role, admins read all" ON public.platform_roles FOR SELECT TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_platform_admin() AS is_platform_admin)));

-- POLICY features signed-in users read the catalogue
CREATE POLICY "signed-in users read the catalogue" ON public.features FOR SELECT TO authenticated USING (true);

-- POLICY plan_features signed-in users read the catalogue
CREATE POLICY "signed-in users read the catalogue" ON public.plan_features FOR SELECT TO authenticated USING (true);

-- POLICY plans signed-in users read the catalogue
CREATE POLICY "signed-in users read the catalogue" ON public.plans FOR SELECT TO authenticated USING (true);
