-- Signup creates an organization: profiles, organizations, organization_members,
-- the RPC that creates all three in one transaction, the reconcile job that catches
-- webhooks that were never delivered, and row-level security on every table.

create schema if not exists private;
comment on schema private is 'Helpers for policies and operators; not exposed through the API.';
grant usage on schema private to authenticated, service_role;

create or replace function private.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Tables ------------------------------------------------------------------------------

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text not null check (char_length(full_name) between 1 and 100),
  avatar_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  slug text not null unique
    check (char_length(slug) <= 63 and slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  logo_url text,
  created_by uuid references auth.users (id) on delete set null,
  -- The user whose signup created this organization. Unique: it is the idempotency
  -- key that makes a replayed or concurrent webhook find, not create, the organization.
  signup_user_id uuid unique references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.organization_members (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'viewer' check (role in ('owner', 'admin', 'recruiter', 'viewer')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id)
);
create index organization_members_user_id_idx on public.organization_members (user_id);

create trigger touch_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();
create trigger touch_updated_at before update on public.organizations
  for each row execute function private.touch_updated_at();
create trigger touch_updated_at before update on public.organization_members
  for each row execute function private.touch_updated_at();

-- Row-level security --------------------------------------------------------------------
-- Clients read their own profile, the organizations they belong to and the members of
-- those organizations. Nothing is inserted by clients: the service role does that.

-- security definer so the policies below can read memberships without recursing
-- into organization_members' own policy.
create or replace function private.member_organization_ids() returns setof uuid
language sql stable security definer set search_path = '' as $$
  select organization_id from public.organization_members where user_id = (select auth.uid())
$$;
revoke execute on function private.member_organization_ids() from public;
grant execute on function private.member_organization_ids() to authenticated;

alter table public.profiles enable row level security;
alter table public.organizations enable row level security;
alter table public.organization_members enable row level security;

revoke all on public.profiles, public.organizations, public.organization_members from anon, authenticated;
grant select on public.profiles, public.organizations, public.organization_members to authenticated;
grant update (full_name, avatar_url) on public.profiles to authenticated;
grant all on public.profiles, public.organizations, public.organization_members to service_role;

create policy "read own profile" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "update own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));
create policy "read organizations I belong to" on public.organizations
  for select to authenticated using (id in (select private.member_organization_ids()));
create policy "read members of my organizations" on public.organization_members
  for select to authenticated using (organization_id in (select private.member_organization_ids()));

-- The RPC -----------------------------------------------------------------------------

-- Whether a new user gets a workspace of their own. Every user does, for now; the
-- invite migration narrows this (an invited user joins the inviting organization).
create or replace function private.signup_wants_workspace(p_user_id uuid, p_email text) returns boolean
language sql stable set search_path = '' as $$
  select true
$$;

create or replace function public.create_signup_org(
  p_user_id uuid,
  p_email text,
  p_full_name text,
  p_organization_name text,
  p_slug_base text
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  max_slug_attempts constant integer := 10;
  v_organization_id uuid;
  v_slug text;
  v_membership_id uuid;
  v_created boolean := false;
begin
  if p_slug_base is null or char_length(p_slug_base) > 40 or p_slug_base !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    raise exception using errcode = '22023', message = 'invalid_slug_base',
      detail = 'slug base must be 1-40 characters of [a-z0-9-]';
  end if;

  -- Proves the user exists, keeps it from being deleted under us, and serialises
  -- deliveries for the same user; the unique keys below remain the guarantee.
  perform 1 from auth.users where id = p_user_id for key share;
  if not found then
    raise exception using errcode = 'P0002', message = 'user_not_found',
      detail = format('user %s does not exist', p_user_id);
  end if;
  perform pg_advisory_xact_lock(hashtextextended('create_signup_org:' || p_user_id::text, 0));

  insert into public.profiles (id, email, full_name)
  values (p_user_id, p_email, p_full_name)
  on conflict (id) do nothing;

  select id, slug into v_organization_id, v_slug
  from public.organizations where signup_user_id = p_user_id;

  if v_organization_id is null and not private.signup_wants_workspace(p_user_id, p_email) then
    return jsonb_build_object(
      'user_id', p_user_id, 'profile_id', p_user_id, 'organization_id', null,
      'organization_slug', null, 'membership_id', null, 'created', false,
      'workspace', 'skipped');
  end if;

  if v_organization_id is null then
    for attempt in 1..max_slug_attempts loop
      v_slug := case
        when attempt = 1 then p_slug_base
        else p_slug_base || '-' || left(replace(gen_random_uuid()::text, '-', ''), 6)
      end;
      begin
        insert into public.organizations (name, slug, created_by, signup_user_id)
        values (p_organization_name, v_slug, p_user_id, p_user_id)
        on conflict (signup_user_id) do nothing
        returning id into v_organization_id;
        if v_organization_id is null then
          select id, slug into v_organization_id, v_slug
          from public.organizations where signup_user_id = p_user_id;
        else
          v_created := true;
        end if;
        exit;
      exception when unique_violation then
        -- The slug is taken by another organization: try a suffixed one.
        v_organization_id := null;
      end;
    end loop;
    if v_organization_id is null then
      raise exception using errcode = '23505', message = 'slug_exhausted',
        detail = format('no free slug for "%s" after %s attempts', p_slug_base, max_slug_attempts);
    end if;
  end if;

  insert into public.organization_members (organization_id, user_id, role)
  values (v_organization_id, p_user_id, 'owner')
  on conflict (organization_id, user_id) do nothing
  returning id into v_membership_id;
  if v_membership_id is null then
    select id into v_membership_id from public.organization_members
    where organization_id = v_organization_id and user_id = p_user_id;
  end if;

  return jsonb_build_object(
    'user_id', p_user_id,
    'profile_id', p_user_id,
    'organization_id', v_organization_id,
    'organization_slug', v_slug,
    'membership_id', v_membership_id,
    'created', v_created,
    'workspace', 'personal'
  );
end
$$;
revoke execute on function public.create_signup_org(uuid, text, text, text, text) from public, anon, authenticated;
grant execute on function public.create_signup_org(uuid, text, text, text, text) to service_role;

-- Reconcile: never lose a signup ---------------------------------------------------------
-- Database webhooks are delivered at most once. This job creates what is missing for
-- users older than `p_older_than` who still have no profile. The name and slug rules
-- are those of the Rust function (shared/src/signup.rs); a test keeps them equal.

create or replace function private.signup_clean_name(p_raw text) returns text
language sql immutable set search_path = '' as $$
  select nullif(rtrim(left(btrim(regexp_replace(p_raw,
    '[\u0001-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+', ' ', 'g')), 100), ' '), '')
$$;

create or replace function private.signup_full_name(p_meta jsonb, p_email text) returns text
language sql immutable set search_path = '' as $$
  select coalesce(
    case when jsonb_typeof(p_meta -> 'full_name') = 'string' then private.signup_clean_name(p_meta ->> 'full_name') end,
    case when jsonb_typeof(p_meta -> 'name') = 'string' then private.signup_clean_name(p_meta ->> 'name') end,
    private.signup_clean_name(split_part(nullif(btrim(p_email), ''), '@', 1)),
    'User')
$$;

create or replace function private.signup_slugify(p_text text, p_max integer) returns text
language sql immutable set search_path = '' as $$
  select rtrim(left(btrim(regexp_replace(lower(p_text collate "C"), '[^a-z0-9]+', '-', 'g'), '-'), p_max), '-')
$$;

create or replace function private.signup_slug_base(p_full_name text, p_email text) returns text
language sql immutable set search_path = '' as $$
  select coalesce(
    nullif(private.signup_slugify(p_full_name, 40), ''),
    nullif(private.signup_slugify(split_part(nullif(btrim(p_email), ''), '@', 1), 40), ''),
    'workspace')
$$;

create or replace function public.reconcile_signups(
  p_older_than interval default interval '5 minutes',
  p_limit integer default 500
) returns integer
language plpgsql security definer set search_path = '' as $$
declare
  missing record;
  v_full_name text;
  v_email text;
  repaired integer := 0;
begin
  for missing in
    select u.id, u.email, u.raw_user_meta_data
    from auth.users u
    where u.created_at < now() - p_older_than
      and not exists (select 1 from public.profiles p where p.id = u.id)
    order by u.created_at
    limit p_limit
  loop
    v_email := nullif(btrim(missing.email), '');
    v_full_name := private.signup_full_name(missing.raw_user_meta_data, v_email);
    perform public.create_signup_org(
      missing.id, v_email, v_full_name, v_full_name || '''s Workspace',
      private.signup_slug_base(v_full_name, v_email));
    repaired := repaired + 1;
  end loop;
  return repaired;
end
$$;
revoke execute on function public.reconcile_signups(interval, integer) from public, anon, authenticated;
grant execute on function public.reconcile_signups(interval, integer) to service_role;

-- Scheduled jobs run with pg_cron where it is enabled (Supabase: Database → Extensions →
-- pg_cron); the local stack provides the same cron.schedule(). Without it, nothing is
-- scheduled and the migration still applies.
create or replace function private.schedule_if_cron(p_job text, p_schedule text, p_command text) returns void
language plpgsql set search_path = '' as $$
begin
  if exists (select 1 from pg_namespace where nspname = 'cron') then
    perform cron.schedule(p_job, p_schedule, p_command);
  end if;
end
$$;
revoke execute on function private.schedule_if_cron(text, text, text) from public;

select private.schedule_if_cron('reconcile-signups', '*/5 * * * *', 'select public.reconcile_signups()');

-- The webhook -----------------------------------------------------------------------------
-- A Supabase database webhook (supabase_functions.http_request, as the dashboard creates
-- it) on auth.users INSERT. URL and secret differ per project, so they are arguments:
--   select private.install_signup_webhook('https://<ref>.supabase.co/functions/v1', '<secret>');

create or replace function private.install_signup_webhook(p_functions_url text, p_secret text) returns void
language plpgsql set search_path = '' as $$
begin
  if p_functions_url !~ '^https?://' or coalesce(p_secret, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'install_signup_webhook needs an http(s) functions URL and a non-empty secret';
  end if;
  execute 'drop trigger if exists on_auth_user_created_create_org on auth.users';
  execute format(
    'create trigger on_auth_user_created_create_org after insert on auth.users '
    'for each row execute function supabase_functions.http_request(%L, %L, %L, %L, %L)',
    rtrim(p_functions_url, '/') || '/on-signup-create-org',
    'POST',
    jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || p_secret)::text,
    '{}',
    '5000');
end
$$;
revoke execute on function private.install_signup_webhook(text, text) from public;
