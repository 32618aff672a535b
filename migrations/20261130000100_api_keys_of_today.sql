-- Today's API keys for what the database itself calls: the signup webhook and the two
-- dispatchers pg_cron runs through pg_net. On a project created today (and on any project
-- once its legacy keys are off) the server key is a secret key, `sb_secret_…`, which is
-- not a JWT: it travels in the `apikey` header, as Supabase's dashboard sends it for
-- database webhooks. A legacy service-role JWT, or the webhook's own shared secret, still
-- travels as `Authorization: Bearer …`.

-- The headers that present `p_key` to an edge function, by the kind of key it is.
create or replace function private.function_call_headers(p_key text) returns jsonb
language plpgsql immutable set search_path = '' as $$
begin
  if coalesce(p_key, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a key is required: the secret key (sb_secret_…), or the legacy service role key';
  end if;
  if p_key like 'sb_publishable_%' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a publishable key cannot call server-to-server routes: give the secret key (sb_secret_…)';
  end if;
  if p_key like 'sb_secret_%' then
    return jsonb_build_object('Content-Type', 'application/json', 'apikey', p_key);
  end if;
  return jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || p_key);
end
$$;
revoke execute on function private.function_call_headers(text) from public;

-- The signup webhook, re-installable as `postgres`. Since April 2025 `postgres` may put a
-- trigger on auth.users but not drop one (auth.users is supabase_auth_admin's), so the
-- first installer's `drop trigger … ; create trigger …` failed on a second run, and a new
-- key could never be installed. Now the trigger is created once and calls a function of
-- ours that reads where to send and what to present from a row only `postgres` can read;
-- installing again (a new URL, a rotated key) just replaces that row. The request is
-- what a Supabase database webhook sends: POST {type, table, schema, record, old_record}.
--   select private.install_signup_webhook('https://<ref>.supabase.co/functions/v1', '<ONBOARDING_WEBHOOK_SECRET>');
create table if not exists private.signup_webhook (
  singleton boolean primary key default true check (singleton),
  url text not null,
  headers jsonb not null,
  timeout_ms integer not null default 5000
);
alter table private.signup_webhook enable row level security;
revoke all on private.signup_webhook from public, anon, authenticated, service_role;

create or replace function private.send_signup_webhook() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_hook private.signup_webhook;
begin
  select * into v_hook from private.signup_webhook;
  if found then
    perform net.http_post(
      url := v_hook.url,
      body := jsonb_build_object('type', TG_OP, 'table', TG_TABLE_NAME, 'schema', TG_TABLE_SCHEMA,
                                 'record', to_jsonb(new), 'old_record', null),
      headers := v_hook.headers,
      timeout_milliseconds := v_hook.timeout_ms);
  end if;
  return new;
end
$$;
revoke execute on function private.send_signup_webhook() from public;

create or replace function private.install_signup_webhook(p_functions_url text, p_secret text) returns void
language plpgsql set search_path = '' as $$
declare
  v_headers jsonb;
begin
  if p_functions_url !~ '^https?://' or coalesce(p_secret, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'install_signup_webhook needs an http(s) functions URL and a non-empty secret';
  end if;
  v_headers := private.function_call_headers(p_secret);
  insert into private.signup_webhook (url, headers)
  values (rtrim(p_functions_url, '/') || '/on-signup-create-org', v_headers)
  on conflict (singleton) do update set url = excluded.url, headers = excluded.headers;
  -- The first installer's trigger, where this role may still drop it (the local stack,
  -- a project from before the change); elsewhere it is left, and says so.
  if exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass
             and tgname = 'on_auth_user_created_create_org') then
    begin
      execute 'drop trigger on_auth_user_created_create_org on auth.users';
    exception when insufficient_privilege then
      raise warning 'the first signup webhook trigger (on_auth_user_created_create_org) is still on auth.users; delete it under Database → Webhooks, or each signup is sent twice (harmless: the function is idempotent)';
    end;
  end if;
  if not exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass
                 and tgname = 'on_auth_user_created_send_signup_webhook') then
    execute 'create trigger on_auth_user_created_send_signup_webhook after insert on auth.users '
            'for each row execute function private.send_signup_webhook()';
  end if;
end
$$;
revoke execute on function private.install_signup_webhook(text, text) from public;

-- One pg_cron job that POSTs `{}` to a function through pg_net, presenting `p_server_key`:
-- what both dispatchers are.
create or replace function private.schedule_function_call(
  p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer
) returns bigint
language plpgsql set search_path = '' as $$
declare
  v_headers jsonb := private.function_call_headers(p_server_key);
begin
  if p_functions_url !~ '^https?://' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = format('%s needs an http(s) functions URL and the secret key', p_job);
  end if;
  return cron.schedule(p_job, p_schedule, format(
    'select net.http_post(url := %L, body := ''{}''::jsonb, headers := %L::jsonb, timeout_milliseconds := %s)',
    rtrim(p_functions_url, '/') || '/' || p_route, v_headers::text, p_timeout_ms));
end
$$;
revoke execute on function private.schedule_function_call(text, text, text, text, text, integer) from public;

-- Usage: select private.install_onboarding_dispatcher('https://<ref>.supabase.co/functions/v1', '<sb_secret_…>');
drop function if exists private.install_onboarding_dispatcher(text, text, text);
create function private.install_onboarding_dispatcher(
  p_functions_url text, p_server_key text, p_schedule text default '10 seconds'
) returns bigint
language sql set search_path = '' as $$
  select private.schedule_function_call('user-onboarding-dispatch', p_functions_url, 'user-onboarding/dispatch',
    p_server_key, p_schedule, 30000)
$$;
revoke execute on function private.install_onboarding_dispatcher(text, text, text) from public;

-- Usage: select private.install_webhook_dispatcher('https://<ref>.supabase.co/functions/v1', '<sb_secret_…>');
drop function if exists private.install_webhook_dispatcher(text, text, text);
create function private.install_webhook_dispatcher(
  p_functions_url text, p_server_key text, p_schedule text default '5 seconds'
) returns bigint
language sql set search_path = '' as $$
  select private.schedule_function_call('deliver-webhooks', p_functions_url, 'deliver-webhooks',
    p_server_key, p_schedule, 60000)
$$;
revoke execute on function private.install_webhook_dispatcher(text, text, text) from public;
