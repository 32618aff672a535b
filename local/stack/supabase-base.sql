-- The part of a Supabase database this product relies on, for the local stack only.
-- Real Supabase projects already have all of this; it is kept apart from migrations/
-- so that migrations/ is exactly what gets applied to a real project.
-- Applied as the cluster's superuser (`supabase_admin`, as on Supabase) on every
-- `make up`; idempotent. The project's migrations are then applied as `postgres`, which
-- is shaped as on a hosted project in 2026: not a superuser, not a member of
-- `supabase_auth_admin`, and no default privileges on `public` for the API roles.

-- Roles -----------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login;
  end if;
  -- The role Supabase Auth runs as; it owns `auth` and calls Auth hooks such as the
  -- custom access token hook. The local Auth stand-in logs in as it.
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole;
  end if;
end
$$;
grant anon, authenticated, service_role to authenticator;
-- Passwords are set by the stack script (psql variables), never stored here.
alter role authenticator with password :'authenticator_password';
alter role supabase_auth_admin with login password :'auth_admin_password';
-- Supabase's `postgres` (its migration "demote-postgres", and since April 2025 no longer
-- a member of supabase_auth_admin or supabase_storage_admin).
alter role postgres with nosuperuser createdb createrole login replication bypassrls password :'postgres_password';
grant anon, authenticated, service_role to postgres;
do $$
begin
  if pg_has_role('postgres', 'supabase_auth_admin', 'member') then
    revoke supabase_auth_admin from postgres;
  end if;
end
$$;
do $$
begin
  execute format('alter database %I owner to postgres', current_database());
  execute format('grant all on database %I to postgres', current_database());
end
$$;

-- No default privileges on public for the API roles (hosted projects since 30 October
-- 2026): every migration grants what it means to. A stack made before this loses them.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated, service_role;

-- Extensions live in their own schema, as on Supabase: PostgREST serves only `public`,
-- so none of their functions (pgcrypto's crypt, gen_salt, encrypt, …) becomes an RPC
-- that anyone with the anon key could call. A stack created before this moves it.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role, supabase_auth_admin;
create extension if not exists pgcrypto with schema extensions;
-- pgTAP, for `supabase test db` (on Supabase, postgres may enable it; here it is ready).
create extension if not exists pgtap with schema extensions;
do $$
begin
  if (select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto') = 'public' then
    alter extension pgcrypto set schema extensions;
  end if;
end
$$;

-- auth: the subset of Supabase Auth's schema that the product reads ----------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text unique,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (email) where is_sso_user = false;
grant select on auth.users to service_role;

-- Supabase's definitions: claims come from PostgREST's request.jwt.claims setting.
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

-- net: pg_net's queue, with pg_net's signatures. Requests are queued in the caller's
-- transaction; the stack's worker delivers them after commit (NOTIFY fires on commit).
create schema if not exists net;
grant usage on schema net to postgres, anon, authenticated, service_role;
create table if not exists net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null default '{}'::jsonb,
  body bytea,
  timeout_milliseconds integer not null default 5000
);
create table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create or replace function net.notify_request_queued() returns trigger language plpgsql as $$
begin
  perform pg_notify('net_http_request_queue', new.id::text);
  return new;
end
$$;
drop trigger if exists notify_request_queued on net.http_request_queue;
create trigger notify_request_queued after insert on net.http_request_queue
  for each row execute function net.notify_request_queued();

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint language plpgsql security definer set search_path = '' as $$
declare
  request_id bigint;
  query text := (select string_agg(format('%s=%s', key, value), '&') from jsonb_each_text(params));
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', url || coalesce('?' || query, ''), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

-- As pg_net grants on Supabase: postgres may read and write its tables.
grant all on net.http_request_queue, net._http_response to postgres;
grant usage on sequence net.http_request_queue_id_seq to postgres;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint language plpgsql security definer set search_path = '' as $$
declare
  request_id bigint;
  query text := (select string_agg(format('%s=%s', key, value), '&') from jsonb_each_text(params));
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', url || coalesce('?' || query, ''), headers, timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

-- supabase_functions: database webhooks, with Supabase's trigger function and its
-- arguments (url, method, headers, params, timeout_ms) and payload shape.
create schema if not exists supabase_functions;
create table if not exists supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);

create or replace function supabase_functions.http_request() returns trigger
language plpgsql security definer set search_path = supabase_functions as $$
declare
  request_id bigint;
  payload jsonb;
  url text := TG_ARGV[0]::text;
  method text := TG_ARGV[1]::text;
  headers jsonb default '{}'::jsonb;
  params jsonb default '{}'::jsonb;
  timeout_ms integer default 1000;
begin
  if url is null or url = 'null' then
    raise exception 'url argument is missing';
  end if;
  if method is null or method = 'null' then
    raise exception 'method argument is missing';
  end if;
  if TG_ARGV[2] is null or TG_ARGV[2] = 'null' then
    headers = '{"Content-Type": "application/json"}'::jsonb;
  else
    headers = TG_ARGV[2]::jsonb;
  end if;
  if TG_ARGV[3] is null or TG_ARGV[3] = 'null' then
    params = '{}'::jsonb;
  else
    params = TG_ARGV[3]::jsonb;
  end if;
  if TG_ARGV[4] is null or TG_ARGV[4] = 'null' then
    timeout_ms = 1000;
  else
    timeout_ms = TG_ARGV[4]::integer;
  end if;
  case
    when method = 'GET' then
      select http_get into request_id from net.http_get(url, params, headers, timeout_ms);
    when method = 'POST' then
      payload = jsonb_build_object(
        'old_record', OLD, 'record', NEW, 'type', TG_OP,
        'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA);
      select http_post into request_id from net.http_post(url, payload, params, headers, timeout_ms);
    else
      raise exception 'method argument % is invalid', method;
  end case;
  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
  values (TG_RELID, TG_NAME, request_id);
  return NEW;
end
$$;

grant usage on schema supabase_functions to postgres;
grant all on supabase_functions.hooks to postgres;
grant execute on function supabase_functions.http_request() to postgres;

-- cron: a stand-in for pg_cron's job table and cron.schedule(). The stack's worker
-- runs the jobs, each as the role that scheduled it (pg_cron's `username`); supported
-- schedules: '<n> seconds' and '*/<n> * * * *' / '* * * * *'. As on Supabase, postgres
-- may schedule and unschedule, and only read cron.job; the API roles may not even read it
-- (a job's command may hold a key).
create schema if not exists cron;
create table if not exists cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  jobname text unique,
  active boolean not null default true
);
alter table cron.job add column if not exists username text not null default current_user;
create or replace function cron.schedule(job_name text, schedule text, command text) returns bigint
language sql security definer set search_path = '' as $$
  insert into cron.job (jobname, schedule, command, username) values (job_name, schedule, command, session_user)
  on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command,
    username = excluded.username
  returning jobid
$$;
create or replace function cron.unschedule(job_name text) returns boolean
language sql security definer set search_path = '' as $$
  with gone as (delete from cron.job where jobname = job_name returning 1)
  select exists (select 1 from gone)
$$;
revoke all on function cron.schedule(text, text, text), cron.unschedule(text) from public;
grant usage on schema cron to postgres;
grant select on cron.job to postgres;
grant execute on function cron.schedule(text, text, text), cron.unschedule(text) to postgres;

-- Migrations are recorded where the Supabase CLI records them.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  name text,
  statements text[]
);
grant usage, create on schema supabase_migrations to postgres;
grant all on supabase_migrations.schema_migrations to postgres;

-- What GoTrue keeps beside auth.users, for the local Auth stand-in (local/stack/auth.ts):
-- confirmation and recovery tokens (their SHA-256), sessions, rotating refresh tokens.
alter table auth.users add column if not exists confirmation_token varchar(255);
alter table auth.users add column if not exists recovery_token varchar(255);
alter table auth.users add column if not exists recovery_sent_at timestamptz;
-- GoTrue's other columns, with its defaults, so that a local signup's webhook carries the
-- same record as a hosted one (tests/fixtures/signup-webhook-payload.json).
alter table auth.users alter column instance_id set default '00000000-0000-0000-0000-000000000000';
alter table auth.users add column if not exists email_change varchar(255) default '';
alter table auth.users add column if not exists email_change_token_new varchar(255) default '';
alter table auth.users add column if not exists email_change_token_current varchar(255) default '';
alter table auth.users add column if not exists email_change_confirm_status smallint default 0;
alter table auth.users add column if not exists email_change_sent_at timestamptz;
alter table auth.users add column if not exists phone_change text default '';
alter table auth.users add column if not exists phone_change_token varchar(255) default '';
alter table auth.users add column if not exists phone_change_sent_at timestamptz;
alter table auth.users add column if not exists reauthentication_token varchar(255) default '';
alter table auth.users add column if not exists reauthentication_sent_at timestamptz;
create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now()
);
create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) not null unique,
  user_id uuid not null references auth.users (id) on delete cascade,
  session_id uuid references auth.sessions (id) on delete cascade,
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- GoTrue's MFA: the session's assurance level, the methods it was reached by, TOTP factors
-- and their challenges (local/stack/auth-mfa.ts).
alter table auth.sessions add column if not exists aal text not null default 'aal1';
create table if not exists auth.mfa_amr_claims (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references auth.sessions (id) on delete cascade,
  authentication_method text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (session_id, authentication_method)
);
create table if not exists auth.mfa_factors (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  friendly_name text,
  factor_type text not null,
  status text not null,
  secret text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_challenged_at timestamptz
);
create table if not exists auth.mfa_challenges (
  id uuid primary key,
  factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
  created_at timestamptz not null default now(),
  verified_at timestamptz
);

-- On Supabase, postgres may read and write Auth's tables and put triggers on them, but
-- may not create anything in `auth` (no functions there: use your own schema).
do $$
declare t record;
begin
  execute 'alter schema auth owner to supabase_auth_admin';
  for t in select c.oid::regclass as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'auth' and c.relkind = 'r' loop
    execute format('alter table %s owner to supabase_auth_admin', t.name);
  end loop;
end
$$;
grant usage on schema auth to postgres;
revoke create on schema auth from postgres;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant execute on all functions in schema auth to postgres, anon, authenticated, service_role;
