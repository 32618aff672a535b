-- Function calls: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION function_call_headers(text)
CREATE FUNCTION private.function_call_headers(p_key text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION function_call_headers(p_key text)
COMMENT ON FUNCTION private.function_call_headers(p_key text) IS 'The headers that present `p_key` to an edge function, by the kind of key it is.';

-- ACL FUNCTION function_call_headers(p_key text)
REVOKE ALL ON FUNCTION private.function_call_headers(p_key text) FROM PUBLIC;

-- FUNCTION schedule_function_call(text, text, text, text, text, integer)
CREATE FUNCTION private.schedule_function_call(p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION schedule_function_call(p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer)
COMMENT ON FUNCTION private.schedule_function_call(p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer) IS 'One pg_cron job that POSTs `{}` to a function through pg_net, presenting `p_server_key`: what both dispatchers are.';

-- ACL FUNCTION schedule_function_call(p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer)
REVOKE ALL ON FUNCTION private.schedule_function_call(p_job text, p_functions_url text, p_route text, p_server_key text, p_schedule text, p_timeout_ms integer) FROM PUBLIC;

-- FUNCTION send_signup_webhook()
CREATE FUNCTION private.send_signup_webhook() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- ACL FUNCTION send_signup_webhook()
REVOKE ALL ON FUNCTION private.send_signup_webhook() FROM PUBLIC;

-- TABLE signup_webhook
CREATE TABLE private.signup_webhook (
    singleton boolean DEFAULT true NOT NULL,
    url text NOT NULL,
    headers jsonb NOT NULL,
    timeout_ms integer DEFAULT 5000 NOT NULL,
    CONSTRAINT signup_webhook_singleton_check CHECK (singleton)
);

-- COMMENT TABLE signup_webhook
COMMENT ON TABLE private.signup_webhook IS 'The signup webhook, re-installable as `postgres`. Since April 2025 `postgres` may put a trigger on auth.users but not drop one (auth.users is supabase_auth_admin''s), so the first installer''s `drop trigger … ; create trigger …` failed on a second run, and a new key could never be installed. Now the trigger is created once and calls a function of ours that reads where to send and what to present from a row only `postgres` can read; installing again (a new URL, a rotated key) just replaces that row. The request is what a Supabase database webhook sends: POST {type, table, schema, record, old_record}. select private.install_signup_webhook(''https://<ref>.supabase.co/functions/v1'', ''<ONBOARDING_WEBHOOK_SECRET>'');';

-- CONSTRAINT signup_webhook signup_webhook_pkey
ALTER TABLE ONLY private.signup_webhook
    ADD CONSTRAINT signup_webhook_pkey PRIMARY KEY (singleton);

-- ROW SECURITY signup_webhook
ALTER TABLE private.signup_webhook ENABLE ROW LEVEL SECURITY;
