-- Admin invite onboarding: platform roles, the plan/feature catalogue, organization
-- status and billing, owner invitations (only token hashes are stored), accepting
-- them, and the feature-driven onboarding phases. RLS on every table.

-- Platform roles ---------------------------------------------------------------------------

create table public.platform_roles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  role text not null default 'client_user' check (role in ('platform_admin', 'client_user')),
  assigned_at timestamptz not null default now()
);

create or replace function private.handle_new_user_assign_default_role() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.platform_roles (user_id) values (new.id) on conflict (user_id) do nothing;
  return new;
end
$$;
create trigger handle_new_user_assign_default_role after insert on auth.users
  for each row execute function private.handle_new_user_assign_default_role();
insert into public.platform_roles (user_id) select id from auth.users on conflict (user_id) do nothing;

create or replace function private.is_platform_admin() returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.platform_roles
    where user_id = (select auth.uid()) and role = 'platform_admin')
$$;
revoke execute on function private.is_platform_admin() from public;
grant execute on function private.is_platform_admin() to authenticated, service_role;

-- For operators: select private.set_platform_role('ops@example.com', 'platform_admin');
create or replace function private.set_platform_role(p_email text, p_role text) returns uuid
language plpgsql set search_path = '' as $$
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
revoke execute on function private.set_platform_role(text, text) from public;

-- Catalogue ----------------------------------------------------------------------------------

create table public.plans (
  id text primary key check (id ~ '^[a-z0-9-]+$'),
  name text not null,
  sort_order integer not null default 0
);
create table public.features (
  key text primary key check (key ~ '^[a-z0-9-]+$'),
  name text not null
);
create table public.plan_features (
  plan_id text not null references public.plans (id) on delete cascade,
  feature_key text not null references public.features (key) on delete cascade,
  primary key (plan_id, feature_key)
);
insert into public.plans (id, name, sort_order) values
  ('free', 'Free', 0), ('starter', 'Starter', 1), ('growth', 'Growth', 2), ('enterprise', 'Enterprise', 3);
insert into public.features (key, name) values
  ('custom-domain', 'Custom domain'), ('white-label', 'White label'),
  ('ats-api-sync', 'ATS API sync'), ('webhooks', 'Webhooks');
insert into public.plan_features (plan_id, feature_key) values
  ('growth', 'webhooks'), ('growth', 'ats-api-sync'),
  ('enterprise', 'custom-domain'), ('enterprise', 'white-label'),
  ('enterprise', 'ats-api-sync'), ('enterprise', 'webhooks');

-- Organizations gain a lifecycle and a plan --------------------------------------------------

alter table public.organizations
  add column status text not null default 'active' check (status in ('pending-activation', 'active')),
  add column plan_id text not null default 'free' references public.plans (id),
  add column onboarding_completed_at timestamptz;

create table public.organization_billing (
  organization_id uuid primary key references public.organizations (id) on delete cascade,
  billing_email text not null,
  status text not null default 'trialing' check (status in ('trialing', 'active', 'past_due', 'canceled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger touch_updated_at before update on public.organization_billing
  for each row execute function private.touch_updated_at();

create table public.organization_feature_overrides (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  feature_key text not null references public.features (key) on delete cascade,
  enabled boolean not null,
  created_at timestamptz not null default now(),
  primary key (organization_id, feature_key)
);

-- The plan's features, plus overrides switched on, minus overrides switched off.
create or replace function private.enabled_features(p_organization_id uuid) returns text[]
language sql stable security definer set search_path = '' as $$
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
  ) enabled
$$;

-- Profiles: the quick lookup of "the" organization; users may still belong to several.
alter table public.profiles
  add column organization_id uuid references public.organizations (id) on delete set null;

-- Invites -----------------------------------------------------------------------------------------

create table public.onboarding_invites (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email = lower(email) and char_length(email) <= 320
                             and email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  role text not null default 'owner' check (role in ('owner', 'admin', 'recruiter', 'viewer')),
  -- SHA-256 (hex) of the token in the link; null until the first send. Never the token.
  token_hash text unique check (token_hash ~ '^[0-9a-f]{64}$'),
  status text not null default 'pending' check (status in ('pending', 'accepted', 'expired', 'revoked')),
  expires_at timestamptz not null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  send_attempts integer not null default 0,
  last_send_error text,
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  check (status <> 'accepted' or (accepted_at is not null and accepted_by is not null))
);
create unique index onboarding_invites_one_pending_per_email
  on public.onboarding_invites (organization_id, email) where status = 'pending';
create index onboarding_invites_pending_email_idx on public.onboarding_invites (email) where status = 'pending';
create trigger touch_updated_at before update on public.onboarding_invites
  for each row execute function private.touch_updated_at();

-- An invited user joins the inviting organization instead of getting a workspace.
create or replace function private.signup_wants_workspace(p_user_id uuid, p_email text) returns boolean
language sql stable set search_path = '' as $$
  select not exists (
      select 1 from public.onboarding_invites
      where email = lower(btrim(p_email)) and status = 'pending' and expires_at > now())
    and not exists (select 1 from public.organization_members where user_id = p_user_id)
$$;

-- Row-level security -------------------------------------------------------------------------

create or replace function private.owned_organization_ids() returns setof uuid
language sql stable security definer set search_path = '' as $$
  select organization_id from public.organization_members
  where user_id = (select auth.uid()) and role = 'owner'
$$;
revoke execute on function private.owned_organization_ids() from public;
grant execute on function private.owned_organization_ids() to authenticated;

alter table public.platform_roles enable row level security;
alter table public.plans enable row level security;
alter table public.features enable row level security;
alter table public.plan_features enable row level security;
alter table public.organization_billing enable row level security;
alter table public.organization_feature_overrides enable row level security;
alter table public.onboarding_invites enable row level security;

revoke all on public.platform_roles, public.plans, public.features, public.plan_features,
  public.organization_billing, public.organization_feature_overrides, public.onboarding_invites
  from anon, authenticated;
grant all on public.platform_roles, public.plans, public.features, public.plan_features,
  public.organization_billing, public.organization_feature_overrides, public.onboarding_invites
  to service_role;
grant select on public.platform_roles, public.plans, public.features, public.plan_features,
  public.organization_billing, public.organization_feature_overrides to authenticated;
-- Every column but the token hash.
grant select (id, organization_id, email, role, status, expires_at, created_by, created_at, updated_at,
  sent_at, send_attempts, last_send_error, accepted_at, accepted_by, revoked_at)
  on public.onboarding_invites to authenticated;

create policy "read own platform role, admins read all" on public.platform_roles
  for select to authenticated using (user_id = (select auth.uid()) or (select private.is_platform_admin()));
create policy "signed-in users read the catalogue" on public.plans for select to authenticated using (true);
create policy "signed-in users read the catalogue" on public.features for select to authenticated using (true);
create policy "signed-in users read the catalogue" on public.plan_features for select to authenticated using (true);
create policy "members and admins read billing" on public.organization_billing
  for select to authenticated
  using (organization_id in (select private.member_organization_ids()) or (select private.is_platform_admin()));
create policy "members and admins read feature overrides" on public.organization_feature_overrides
  for select to authenticated
  using (organization_id in (select private.member_organization_ids()) or (select private.is_platform_admin()));
create policy "admins read all invites, owners their organization's" on public.onboarding_invites
  for select to authenticated
  using ((select private.is_platform_admin()) or organization_id in (select private.owned_organization_ids()));
create policy "platform admins read every organization" on public.organizations
  for select to authenticated using ((select private.is_platform_admin()));
create policy "platform admins read every membership" on public.organization_members
  for select to authenticated using ((select private.is_platform_admin()));

-- Errors are raised as P0001 with a stable code as the message (the edge functions map
-- them) or with PostgREST's status-carrying SQLSTATEs for plain RPC callers.

create or replace function private.require_platform_admin() returns void
language plpgsql stable set search_path = '' as $$
begin
  if not (private.is_platform_admin() or auth.role() = 'service_role') then
    raise exception using errcode = '42501', message = 'not_platform_admin',
      detail = 'only platform admins may do this';
  end if;
end
$$;

-- Create an organization and invite its owner -------------------------------------------------

create or replace function public.admin_create_organization(
  p_name text,
  p_slug text,
  p_owner_email text,
  p_plan text default 'starter',
  p_feature_overrides jsonb default '{}'::jsonb,
  p_billing_email text default null,
  p_invite_ttl_hours integer default 72
) returns jsonb
language plpgsql security definer set search_path = '' as $$
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
$$;
revoke execute on function public.admin_create_organization(text, text, text, text, jsonb, text, integer) from public, anon;
grant execute on function public.admin_create_organization(text, text, text, text, jsonb, text, integer) to authenticated, service_role;

-- Issue a fresh token for a pending invite (send-invite-email) ----------------------------------

create or replace function public.issue_invite_token(p_invite_id uuid, p_token_hash text, p_ttl_hours integer default 72)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
  v_organization_name text;
begin
  perform private.require_platform_admin();
  if p_token_hash !~ '^[0-9a-f]{64}$' or p_ttl_hours not between 1 and 720 then
    raise exception using errcode = '22023', message = 'invalid_arguments';
  end if;
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'accepted' then
    raise exception using message = 'invite_already_accepted';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  begin
    -- A new token replaces the old one: the previous link stops working.
    update public.onboarding_invites
    set token_hash = p_token_hash, status = 'pending',
        expires_at = now() + make_interval(hours => p_ttl_hours),
        send_attempts = send_attempts + 1, last_send_error = null
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
$$;
revoke execute on function public.issue_invite_token(uuid, text, integer) from public, anon;
grant execute on function public.issue_invite_token(uuid, text, integer) to authenticated, service_role;

-- Record how a send went (the function, as the service role) -----------------------------------

create or replace function public.record_invite_send(p_invite_id uuid, p_send_attempt integer, p_error text)
returns void
language sql security definer set search_path = '' as $$
  update public.onboarding_invites
  set sent_at = case when p_error is null then now() else sent_at end,
      last_send_error = left(p_error, 500)
  where id = p_invite_id and send_attempts = p_send_attempt
$$;
revoke execute on function public.record_invite_send(uuid, integer, text) from public, anon, authenticated;
grant execute on function public.record_invite_send(uuid, integer, text) to service_role;

-- Validate a token (validate-invite: read-only, safe for link scanners) --------------------------

create or replace function public.validate_invite(p_token_hash text) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
  v_organization public.organizations;
  v_features text[];
begin
  select * into v_invite from public.onboarding_invites where token_hash = p_token_hash;
  if not found then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  elsif v_invite.status = 'accepted' then
    raise exception using message = 'invite_already_accepted';
  elsif v_invite.status = 'expired' or v_invite.expires_at <= now() then
    raise exception using message = 'invite_expired';
  end if;
  select * into v_organization from public.organizations where id = v_invite.organization_id;
  v_features := private.enabled_features(v_organization.id);
  return jsonb_build_object(
    'organization', jsonb_build_object('id', v_organization.id, 'name', v_organization.name, 'slug', v_organization.slug),
    'plan', (select jsonb_build_object('id', p.id, 'name', p.name) from public.plans p where p.id = v_organization.plan_id),
    'features', (select coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'name', f.name) order by f.key), '[]')
                 from public.features f where f.key = any (v_features)),
    'feature_count', cardinality(v_features),
    'email', v_invite.email,
    'role', v_invite.role,
    'expires_at', v_invite.expires_at);
end
$$;
revoke execute on function public.validate_invite(text) from public, anon, authenticated;
grant execute on function public.validate_invite(text) to service_role;

-- Accept (accept-invite, as the signed-in user) ---------------------------------------------------

create or replace function public.accept_invite(p_token_hash text) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user_id uuid := auth.uid();
  v_user auth.users;
  v_invite public.onboarding_invites;
  v_membership_id uuid;
  v_role text;
begin
  if v_user_id is null then
    raise exception using errcode = '42501', message = 'not_signed_in', detail = 'sign in first';
  end if;
  -- The row lock serialises concurrent accepts of one token.
  select * into v_invite from public.onboarding_invites where token_hash = p_token_hash for update;
  if not found then
    raise exception using message = 'invite_not_found';
  elsif v_invite.status = 'revoked' then
    raise exception using message = 'invite_revoked';
  end if;
  select * into v_user from auth.users where id = v_user_id;
  if v_user.id is null or lower(v_user.email) is distinct from v_invite.email then
    raise exception using message = 'invite_wrong_user';
  end if;
  if v_invite.status = 'accepted' then
    if v_invite.accepted_by is distinct from v_user_id then
      raise exception using message = 'invite_already_accepted';
    end if;
    -- The same user again: the same answer.
  else
    if v_invite.status = 'expired' or v_invite.expires_at <= now() then
      raise exception using message = 'invite_expired';
    end if;
    if v_user.email_confirmed_at is null then
      raise exception using message = 'email_not_confirmed';
    end if;
    -- The signup webhook may not have run yet: the profile is created here if need be.
    insert into public.profiles (id, email, full_name)
    values (v_user_id, v_user.email, private.signup_full_name(v_user.raw_user_meta_data, v_user.email))
    on conflict (id) do nothing;
    insert into public.organization_members (organization_id, user_id, role)
    values (v_invite.organization_id, v_user_id, v_invite.role)
    on conflict (organization_id, user_id) do update set role = excluded.role;
    update public.onboarding_invites
    set status = 'accepted', accepted_at = now(), accepted_by = v_user_id
    where id = v_invite.id;
    update public.profiles set organization_id = v_invite.organization_id where id = v_user_id;
  end if;
  select id, role into v_membership_id, v_role from public.organization_members
  where organization_id = v_invite.organization_id and user_id = v_user_id;
  return jsonb_build_object(
    'organization_id', v_invite.organization_id, 'membership_id', v_membership_id, 'role', v_role,
    'redirect_to', '/onboarding/' || v_invite.organization_id);
end
$$;
revoke execute on function public.accept_invite(text) from public, anon;
grant execute on function public.accept_invite(text) to authenticated, service_role;

-- Revoke (platform admins, owners of the organization) --------------------------------------------

create or replace function public.revoke_invite(p_invite_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_invite public.onboarding_invites;
begin
  select * into v_invite from public.onboarding_invites where id = p_invite_id for update;
  if not found or not (private.is_platform_admin() or auth.role() = 'service_role'
                       or v_invite.organization_id in (select private.owned_organization_ids())) then
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
revoke execute on function public.revoke_invite(uuid) from public, anon;
grant execute on function public.revoke_invite(uuid) to authenticated, service_role;

-- Mark pending invites past their expiry as expired (scheduled) ------------------------------------

create or replace function public.expire_onboarding_invites() returns integer
language sql security definer set search_path = '' as $$
  with expired as (
    update public.onboarding_invites set status = 'expired'
    where status = 'pending' and expires_at <= now()
    returning 1)
  select count(*)::integer from expired
$$;
revoke execute on function public.expire_onboarding_invites() from public, anon, authenticated;
grant execute on function public.expire_onboarding_invites() to service_role;

-- Feature-driven onboarding phases ---------------------------------------------------------------

create or replace function public.organization_onboarding(p_organization_id uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_organization public.organizations;
  v_features text[];
begin
  if not (p_organization_id in (select private.member_organization_ids()) or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'organization_not_found', detail = 'no such organization';
  end if;
  select * into v_organization from public.organizations where id = p_organization_id;
  v_features := private.enabled_features(p_organization_id);
  return jsonb_build_object(
    'organization_id', v_organization.id, 'name', v_organization.name, 'status', v_organization.status,
    'plan', v_organization.plan_id, 'features', to_jsonb(v_features),
    'phases', (
      select jsonb_agg(jsonb_build_object('key', key, 'title', title) order by position)
      from (values
        (1, 'organization-setup', 'Organization Setup', true),
        (2, 'domain-verification', 'Domain Verification', 'custom-domain' = any (v_features)),
        (3, 'brand-identity', 'Brand Identity', 'white-label' = any (v_features)),
        (4, 'billing', 'Billing', true),
        (5, 'team', 'Team', true),
        (6, 'integrations', 'Integrations', v_features && array['ats-api-sync', 'webhooks']),
        (7, 'privacy', 'Privacy', true)
      ) as phase (position, key, title, shown)
      where shown));
end
$$;
revoke execute on function public.organization_onboarding(uuid) from public, anon;
grant execute on function public.organization_onboarding(uuid) to authenticated, service_role;

create or replace function public.complete_onboarding(p_organization_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_organization public.organizations;
begin
  if not (p_organization_id in (select private.owned_organization_ids())) then
    raise exception using errcode = 'PT403', message = 'not_owner', detail = 'only the owner completes onboarding';
  end if;
  update public.organizations
  set status = 'active', onboarding_completed_at = coalesce(onboarding_completed_at, now())
  where id = p_organization_id
  returning * into v_organization;
  return jsonb_build_object('organization_id', v_organization.id, 'status', v_organization.status,
                            'onboarding_completed_at', v_organization.onboarding_completed_at);
end
$$;
revoke execute on function public.complete_onboarding(uuid) from public, anon;
grant execute on function public.complete_onboarding(uuid) to authenticated, service_role;

select private.schedule_if_cron('expire-onboarding-invites', '*/15 * * * *', 'select public.expire_onboarding_invites()');
