-- Tenant users: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- TABLE tenant_users
CREATE TABLE public.tenant_users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_id uuid NOT NULL,
    user_role text NOT NULL,
    email text NOT NULL,
    full_name text,
    employee_id text,
    is_active boolean DEFAULT false NOT NULL,
    telegram_chat_id bigint,
    telegram_user_id bigint,
    bot_onboarding_status text DEFAULT 'pending'::text NOT NULL,
    bot_onboarding_started_at timestamp with time zone,
    bot_onboarding_requested_at timestamp with time zone,
    bot_onboarding_completed_at timestamp with time zone,
    bot_onboarding_error text,
    bot_onboarding_retry_count integer DEFAULT 0 NOT NULL,
    bot_deep_link text,
    bot_correlation_id uuid,
    bot_start_token_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    bot_start_token_used_hash text,
    CONSTRAINT tenant_users_bot_onboarding_status_check CHECK ((bot_onboarding_status = ANY (ARRAY['pending'::text, 'invite_sent'::text, 'awaiting_chat'::text, 'completed'::text, 'failed'::text]))),
    CONSTRAINT tenant_users_bot_start_token_hash_check CHECK ((bot_start_token_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT tenant_users_bot_start_token_used_hash_check CHECK ((bot_start_token_used_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT tenant_users_email_check CHECK (((email = lower(email)) AND (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'::text))),
    CONSTRAINT tenant_users_employee_id_check CHECK ((char_length(employee_id) <= 100)),
    CONSTRAINT tenant_users_full_name_check CHECK ((char_length(full_name) <= 200)),
    CONSTRAINT tenant_users_user_role_check CHECK ((user_role = ANY (ARRAY['executor'::text, 'complainant'::text])))
);

-- COMMENT TABLE tenant_users
COMMENT ON TABLE public.tenant_users IS 'A tenant''s complainants and executors, who may never log in: their Telegram onboarding state, chat id, correlation id and the hash of the single-use start token.';

-- COMMENT COLUMN tenant_users.bot_onboarding_requested_at
COMMENT ON COLUMN public.tenant_users.bot_onboarding_requested_at IS 'When the current correlation id was requested (the timeout sweep''s clock).';

-- COMMENT COLUMN tenant_users.bot_start_token_hash
COMMENT ON COLUMN public.tenant_users.bot_start_token_hash IS 'SHA-256 (hex) of the single-use start token in the Telegram deep link.';

-- ACL COLUMN tenant_users.updated_at
GRANT SELECT(updated_at) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.created_at
GRANT SELECT(created_at) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_correlation_id
GRANT SELECT(bot_correlation_id) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_deep_link
GRANT SELECT(bot_deep_link) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_retry_count
GRANT SELECT(bot_onboarding_retry_count) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_error
GRANT SELECT(bot_onboarding_error) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_completed_at
GRANT SELECT(bot_onboarding_completed_at) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_requested_at
GRANT SELECT(bot_onboarding_requested_at) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_started_at
GRANT SELECT(bot_onboarding_started_at) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.bot_onboarding_status
GRANT SELECT(bot_onboarding_status) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.telegram_user_id
GRANT SELECT(telegram_user_id) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.telegram_chat_id
GRANT SELECT(telegram_chat_id) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.is_active
GRANT SELECT(is_active) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.employee_id
GRANT SELECT(employee_id),INSERT(employee_id),UPDATE(employee_id) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.full_name
GRANT SELECT(full_name),INSERT(full_name),UPDATE(full_name) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.email
GRANT SELECT(email),INSERT(email) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.user_role
GRANT SELECT(user_role),INSERT(user_role) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.tenant_id
GRANT SELECT(tenant_id),INSERT(tenant_id) ON TABLE public.tenant_users TO authenticated;

-- ACL COLUMN tenant_users.id
GRANT SELECT(id) ON TABLE public.tenant_users TO authenticated;

-- ACL TABLE tenant_users
GRANT ALL ON TABLE public.tenant_users TO service_role;
GRANT DELETE ON TABLE public.tenant_users TO authenticated;

-- FUNCTION callback_user(uuid, text)
CREATE FUNCTION private.callback_user(p_correlation_id uuid, p_email text) RETURNS public.tenant_users
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users;
begin
  select * into v_user from public.tenant_users where bot_correlation_id = p_correlation_id for update;
  if not found then
    if exists (select 1 from public.user_onboarding_events where correlation_id = p_correlation_id) then
      raise exception using message = 'correlation_superseded';
    end if;
    raise exception using message = 'correlation_not_found';
  end if;
  if p_email is not null and lower(btrim(p_email)) <> v_user.email then
    raise exception using message = 'email_mismatch';
  end if;
  return v_user;
end
$$;

-- COMMENT FUNCTION callback_user(p_correlation_id uuid, p_email text)
COMMENT ON FUNCTION private.callback_user(p_correlation_id uuid, p_email text) IS 'The user behind a callback''s correlation id, locked; or the matching error.';

-- FUNCTION install_onboarding_dispatcher(text, text, text)
CREATE FUNCTION private.install_onboarding_dispatcher(p_functions_url text, p_server_key text, p_schedule text DEFAULT '10 seconds'::text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select private.schedule_function_call('user-onboarding-dispatch', p_functions_url, 'user-onboarding/dispatch',
    p_server_key, p_schedule, 30000)
$$;

-- COMMENT FUNCTION install_onboarding_dispatcher(p_functions_url text, p_server_key text, p_schedule text)
COMMENT ON FUNCTION private.install_onboarding_dispatcher(p_functions_url text, p_server_key text, p_schedule text) IS 'The dispatcher is an edge function; pg_cron calls it through pg_net. URL and key are per project, so they are arguments (see the README): select private.install_onboarding_dispatcher(''https://<ref>.supabase.co/functions/v1'', ''<service role key>'');';

-- ACL FUNCTION install_onboarding_dispatcher(p_functions_url text, p_server_key text, p_schedule text)
REVOKE ALL ON FUNCTION private.install_onboarding_dispatcher(p_functions_url text, p_server_key text, p_schedule text) FROM PUBLIC;

-- FUNCTION notify_tenant(public.tenant_users, uuid, text, text, text, text, uuid, text)
CREATE FUNCTION private.notify_tenant(p_user public.tenant_users, p_correlation_id uuid, p_type text, p_title text, p_message text, p_level text, p_triggered_by uuid DEFAULT NULL::uuid, p_action_hint text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.tenant_notifications (tenant_id, user_id, triggered_by, type, title, message, level, metadata)
  values (p_user.tenant_id, p_user.id, p_triggered_by, p_type, p_title, p_message, p_level,
          jsonb_strip_nulls(jsonb_build_object(
            'correlation_id', p_correlation_id, 'email', p_user.email, 'role', p_user.user_role,
            'retry_count', p_user.bot_onboarding_retry_count, 'action_hint', p_action_hint)))
$$;

-- FUNCTION onboarding_event(public.tenant_users, uuid, text, jsonb)
CREATE FUNCTION private.onboarding_event(p_user public.tenant_users, p_correlation_id uuid, p_event text, p_detail jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.user_onboarding_events (correlation_id, tenant_id, user_id, event, detail)
  values (p_correlation_id, p_user.tenant_id, p_user.id, p_event, coalesce(p_detail, '{}'))
$$;

-- TABLE onboarding_outbox
CREATE TABLE public.onboarding_outbox (
    id bigint NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    correlation_id uuid NOT NULL,
    payload jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    lease_until timestamp with time zone,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    CONSTRAINT onboarding_outbox_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text, 'superseded'::text])))
);

-- COMMENT TABLE onboarding_outbox
COMMENT ON TABLE public.onboarding_outbox IS 'The durable outbox of Telegram onboardings to deliver to Make: claimed with a lease by the dispatcher, retried with backoff, dead after the last attempt. Service role only.';

-- COMMENT COLUMN onboarding_outbox.payload
COMMENT ON COLUMN public.onboarding_outbox.payload IS 'The seed''s payload plus the start token. The token is removed once the message is delivered, dead or superseded: only its hash stays, on the user.';

-- ACL TABLE onboarding_outbox
GRANT ALL ON TABLE public.onboarding_outbox TO service_role;

-- FUNCTION outbox_message(public.onboarding_outbox)
CREATE FUNCTION private.outbox_message(p_message public.onboarding_outbox) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object('outbox_id', p_message.id, 'correlation_id', p_message.correlation_id,
                            'attempt', p_message.attempts, 'payload', p_message.payload)
$$;

-- COMMENT FUNCTION outbox_message(p_message public.onboarding_outbox)
COMMENT ON FUNCTION private.outbox_message(p_message public.onboarding_outbox) IS 'The leased message as the dispatcher needs it.';

-- FUNCTION record_onboarding_failure(public.tenant_users, uuid, text, text)
CREATE FUNCTION private.record_onboarding_failure(p_user public.tenant_users, p_correlation_id uuid, p_error text, p_reason text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users;
  v_timeout boolean := p_reason = 'timeout';
begin
  update public.tenant_users
  set bot_onboarding_status = 'failed', bot_onboarding_error = p_error,
      bot_onboarding_retry_count = bot_onboarding_retry_count + 1
  where id = p_user.id returning * into v_user;
  update public.onboarding_outbox set status = 'dead', lease_until = null, last_error = p_error, payload = payload - 'start_token'
  where correlation_id = p_correlation_id and status = 'pending';
  perform private.notify_tenant(v_user, p_correlation_id,
    case when v_timeout then 'onboarding.timeout' else 'onboarding.error' end,
    case when v_timeout then 'Timed out' else 'Failed' end,
    case when v_timeout then format('%s did not start the Telegram bot in time. Resend the invite.', v_user.email)
         else format('Onboarding of %s failed: %s. Resend the invite.', v_user.email, p_error) end,
    case when v_timeout then 'warning' else 'error' end, null, 'Resend invite');
  perform private.onboarding_event(v_user, p_correlation_id, case when v_timeout then 'timeout' else 'failed' end,
    jsonb_strip_nulls(jsonb_build_object('error', p_error, 'reason', p_reason)));
end
$$;

-- FUNCTION refuse_duplicate_tenant_user()
CREATE FUNCTION private.refuse_duplicate_tenant_user() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  new.email := lower(btrim(new.email));
  if auth.uid() is not null and not private.is_tenant_admin(new.tenant_id) then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtextextended(new.tenant_id::text || '/' || new.email, 0));
  if exists (select 1 from public.tenant_users
             where tenant_id = new.tenant_id and email = new.email
               and id is distinct from new.id) then
    raise exception using errcode = '23505', message = 'tenant_user_exists',
      detail = 'this tenant already has a user with that email address';
  end if;
  return new;
end
$$;

-- COMMENT FUNCTION refuse_duplicate_tenant_user()
COMMENT ON FUNCTION private.refuse_duplicate_tenant_user() IS 'Only for whoever may manage the tenant (its owners and admins, or the service role): for anyone else the row-level policy refuses the insert (checked after this trigger), and this must not tell them which addresses another tenant has.';

-- ACL FUNCTION refuse_duplicate_tenant_user()
REVOKE ALL ON FUNCTION private.refuse_duplicate_tenant_user() FROM PUBLIC;

-- FUNCTION stamp_notification_read()
CREATE FUNCTION private.stamp_notification_read() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  new.read_at := case when new.status = 'read' then coalesce(old.read_at, now()) end;
  return new;
end
$$;

-- COMMENT FUNCTION stamp_notification_read()
COMMENT ON FUNCTION private.stamp_notification_read() IS 'Marking read stamps read_at; nothing else about a notification changes.';

-- FUNCTION claim_onboarding_outbox(integer, integer)
CREATE FUNCTION public.claim_onboarding_outbox(p_limit integer DEFAULT 20, p_lease_seconds integer DEFAULT 30) RETURNS jsonb
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  with due as (
    select id from public.onboarding_outbox
    where status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
    order by next_attempt_at, id
    limit least(greatest(p_limit, 1), 100)
    for update skip locked
  ), claimed as (
    update public.onboarding_outbox o
    set attempts = o.attempts + 1, lease_until = now() + make_interval(secs => p_lease_seconds)
    from due where o.id = due.id
    returning o.*
  )
  select coalesce(jsonb_agg(private.outbox_message(claimed) order by claimed.id), '[]') from claimed
$$;

-- ACL FUNCTION claim_onboarding_outbox(p_limit integer, p_lease_seconds integer)
REVOKE ALL ON FUNCTION public.claim_onboarding_outbox(p_limit integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.claim_onboarding_outbox(p_limit integer, p_lease_seconds integer) TO service_role;

-- FUNCTION complete_user_onboarding(uuid, text, bigint, text, bigint)
CREATE FUNCTION public.complete_user_onboarding(p_correlation_id uuid, p_email text, p_chat_id bigint, p_start_token_hash text, p_telegram_user_id bigint DEFAULT NULL::bigint) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, p_email);
  v_expected text;
begin
  v_expected := case when v_user.bot_onboarding_status = 'completed'
                     then v_user.bot_start_token_used_hash else v_user.bot_start_token_hash end;
  if v_expected is null or p_start_token_hash is distinct from v_expected then
    -- Refused without raising, so the warning stays: nothing else is written.
    perform private.onboarding_event(v_user, p_correlation_id, 'start_token_mismatch',
      jsonb_build_object('level', 'warning'));
    return jsonb_build_object('refused', 'start_token_mismatch');
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    if v_user.telegram_chat_id = p_chat_id then
      return jsonb_build_object('status', 'completed', 'replay', true);
    end if;
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, telegram_user_id = coalesce(p_telegram_user_id, telegram_user_id),
      bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(), bot_onboarding_error = null,
      is_active = true, bot_start_token_used_hash = bot_start_token_hash, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, p_correlation_id, 'onboarding', 'Completed',
    format('%s connected Telegram and is now active', v_user.email), 'success');
  perform private.onboarding_event(v_user, p_correlation_id, 'completed', '{}');
  return jsonb_build_object('status', 'completed', 'replay', false);
end
$$;

-- ACL FUNCTION complete_user_onboarding(p_correlation_id uuid, p_email text, p_chat_id bigint, p_start_token_hash text, p_telegram_user_id bigint)
REVOKE ALL ON FUNCTION public.complete_user_onboarding(p_correlation_id uuid, p_email text, p_chat_id bigint, p_start_token_hash text, p_telegram_user_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION public.complete_user_onboarding(p_correlation_id uuid, p_email text, p_chat_id bigint, p_start_token_hash text, p_telegram_user_id bigint) TO service_role;

-- FUNCTION fail_user_onboarding(uuid, text, text)
CREATE FUNCTION public.fail_user_onboarding(p_correlation_id uuid, p_error text, p_reason text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, null);
begin
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_completed';
  end if;
  if v_user.bot_onboarding_status = 'failed' then
    return jsonb_build_object('status', 'failed', 'replay', true);
  end if;
  perform private.record_onboarding_failure(v_user, p_correlation_id, left(p_error, 500), p_reason);
  return jsonb_build_object('status', 'failed', 'replay', false);
end
$$;

-- ACL FUNCTION fail_user_onboarding(p_correlation_id uuid, p_error text, p_reason text)
REVOKE ALL ON FUNCTION public.fail_user_onboarding(p_correlation_id uuid, p_error text, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.fail_user_onboarding(p_correlation_id uuid, p_error text, p_reason text) TO service_role;

-- FUNCTION force_complete_user_onboarding(uuid, bigint, text)
CREATE FUNCTION public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users;
begin
  if p_chat_id is null or char_length(btrim(coalesce(p_reason, ''))) not between 1 and 500 then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a chat id and a reason (1-500 characters) are required';
  end if;
  select * into v_user from public.tenant_users where id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', message = 'tenant_user_not_found', detail = 'no such tenant user';
  end if;
  perform private.caller_role(v_user.tenant_id);
  if not private.is_tenant_admin(v_user.tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(),
      bot_onboarding_error = null, is_active = true, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, v_user.bot_correlation_id, 'onboarding', 'Completed',
    format('%s was completed by hand', v_user.email), 'success');
  perform private.onboarding_event(v_user, v_user.bot_correlation_id, 'force_completed',
    jsonb_build_object('by', auth.uid(), 'reason', btrim(p_reason)));
  return jsonb_build_object('status', 'completed', 'forced', true);
end
$$;

-- COMMENT FUNCTION force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text)
COMMENT ON FUNCTION public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text) IS 'A tenant''s owner or admin completes an onboarding by hand; who and why go on the timeline.';

-- ACL FUNCTION force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text)
REVOKE ALL ON FUNCTION public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.force_complete_user_onboarding(p_user_id uuid, p_chat_id bigint, p_reason text) TO authenticated;

-- FUNCTION hold_onboarding_delivery(bigint, integer, text)
CREATE FUNCTION public.hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_message public.onboarding_outbox;
  v_user public.tenant_users;
begin
  if p_reason is null or p_reason !~ '^[a-z_]{1,64}$' then
    raise exception using errcode = '22023', message = 'invalid_reason', detail = 'p_reason: a snake_case reason';
  end if;
  select * into v_message from public.onboarding_outbox where id = p_outbox_id for update;
  if not found or v_message.status <> 'pending' or v_message.attempts <> p_attempt then
    return jsonb_build_object('applied', false);
  end if;
  update public.onboarding_outbox
  set attempts = attempts - 1, lease_until = null, next_attempt_at = now(), last_error = p_reason
  where id = p_outbox_id;
  select * into v_user from public.tenant_users where id = v_message.user_id;
  perform private.onboarding_event(v_user, v_message.correlation_id, 'delivery_waiting',
    jsonb_build_object('reason', p_reason));
  if not exists (select 1 from public.tenant_notifications
                 where user_id = v_user.id and type = 'onboarding.waiting'
                   and metadata ->> 'correlation_id' = v_message.correlation_id::text) then
    perform private.notify_tenant(v_user, v_message.correlation_id, 'onboarding.waiting', 'Waiting for Make',
      format('The Telegram invite for %s is queued: the Make scenario is not configured yet. '
             'It is sent automatically as soon as it is; nothing needs to be done here.', v_user.email),
      'warning');
  end if;
  return jsonb_build_object('applied', true);
end
$_$;

-- COMMENT FUNCTION hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text)
COMMENT ON FUNCTION public.hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text) IS 'The function could not attempt delivery because Make is not configured: the message stays pending and due (the dispatcher sends it once Make is configured), the attempt is given back (waiting is not failing), the timeline says why, and the tenant is told the first time a message of theirs waits. Service role only (the function reports it).';

-- ACL FUNCTION hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text)
REVOKE ALL ON FUNCTION public.hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hold_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_reason text) TO service_role;

-- FUNCTION mark_onboarding_awaiting_chat(uuid)
CREATE FUNCTION public.mark_onboarding_awaiting_chat(p_correlation_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, null);
begin
  if v_user.bot_onboarding_status = 'awaiting_chat' then
    return jsonb_build_object('status', 'awaiting_chat', 'replay', true);
  elsif v_user.bot_onboarding_status not in ('pending', 'invite_sent') then
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users set bot_onboarding_status = 'awaiting_chat' where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, p_correlation_id, 'onboarding', 'Awaiting chat',
    format('%s opened the Telegram link; waiting for the chat', v_user.email), 'info');
  perform private.onboarding_event(v_user, p_correlation_id, 'awaiting_chat', '{}');
  return jsonb_build_object('status', 'awaiting_chat', 'replay', false);
end
$$;

-- COMMENT FUNCTION mark_onboarding_awaiting_chat(p_correlation_id uuid)
COMMENT ON FUNCTION public.mark_onboarding_awaiting_chat(p_correlation_id uuid) IS 'Make: the link was opened, no chat is bound yet. The timeout sweep still applies.';

-- ACL FUNCTION mark_onboarding_awaiting_chat(p_correlation_id uuid)
REVOKE ALL ON FUNCTION public.mark_onboarding_awaiting_chat(p_correlation_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.mark_onboarding_awaiting_chat(p_correlation_id uuid) TO service_role;

-- FUNCTION report_onboarding_delivery(bigint, integer, text, text, integer, text)
CREATE FUNCTION public.report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text DEFAULT NULL::text, p_retry_in_ms integer DEFAULT NULL::integer, p_deep_link text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message public.onboarding_outbox;
  v_user public.tenant_users;
begin
  if p_outcome not in ('delivered', 'retry', 'dead') then
    raise exception using errcode = '22023', message = 'invalid_outcome';
  end if;
  select * into v_message from public.onboarding_outbox where id = p_outbox_id for update;
  if not found or v_message.status <> 'pending' or v_message.attempts <> p_attempt then
    return jsonb_build_object('applied', false);
  end if;
  select * into v_user from public.tenant_users where id = v_message.user_id for update;

  if p_outcome = 'delivered' then
    update public.onboarding_outbox
    set status = 'delivered', delivered_at = now(), lease_until = null, last_error = null, payload = payload - 'start_token'
    where id = p_outbox_id;
    if v_user.bot_correlation_id = v_message.correlation_id and v_user.bot_onboarding_status = 'pending' then
      update public.tenant_users
      set bot_onboarding_status = 'invite_sent', bot_deep_link = coalesce(left(p_deep_link, 500), bot_deep_link)
      where id = v_user.id returning * into v_user;
      perform private.notify_tenant(v_user, v_message.correlation_id, 'onboarding', 'Invite Sent',
        format('The Telegram invite for %s was handed to the email scenario', v_user.email), 'info');
    end if;
    perform private.onboarding_event(v_user, v_message.correlation_id, 'delivered', jsonb_build_object('attempt', p_attempt));
  elsif p_outcome = 'retry' then
    update public.onboarding_outbox
    set next_attempt_at = now() + make_interval(secs => greatest(coalesce(p_retry_in_ms, 1000), 0) / 1000.0),
        lease_until = null, last_error = left(p_error, 500)
    where id = p_outbox_id;
    perform private.onboarding_event(v_user, v_message.correlation_id, 'delivery_retry',
      jsonb_build_object('attempt', p_attempt, 'error', left(p_error, 500), 'retry_in_ms', p_retry_in_ms));
    if p_attempt = 1 then
      perform private.notify_tenant(v_user, v_message.correlation_id, 'onboarding.retry', 'Retry',
        format('Sending the invite for %s failed (%s); retrying automatically', v_user.email, left(p_error, 200)), 'warning');
    end if;
  else
    update public.onboarding_outbox
    set status = 'dead', lease_until = null, last_error = left(p_error, 500), payload = payload - 'start_token'
    where id = p_outbox_id;
    perform private.onboarding_event(v_user, v_message.correlation_id, 'delivery_failed',
      jsonb_build_object('attempt', p_attempt, 'error', left(p_error, 500)));
    if v_user.bot_correlation_id = v_message.correlation_id then
      update public.tenant_users
      set bot_onboarding_status = 'failed', bot_onboarding_error = left(p_error, 500)
      where id = v_user.id returning * into v_user;
      perform private.notify_tenant(v_user, v_message.correlation_id, 'onboarding.error', 'Failed',
        format('The invite for %s could not be sent: %s. Resend the invite once the problem is fixed.',
               v_user.email, left(p_error, 200)), 'error', null, 'Resend invite');
    end if;
  end if;
  return jsonb_build_object('applied', true);
end
$$;

-- COMMENT FUNCTION report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text, p_retry_in_ms integer, p_deep_link text)
COMMENT ON FUNCTION public.report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text, p_retry_in_ms integer, p_deep_link text) IS 'What became of one attempt: ''delivered'', ''retry'' (after p_retry_in_ms) or ''dead''. A report for an attempt that is no longer the current one is ignored.';

-- ACL FUNCTION report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text, p_retry_in_ms integer, p_deep_link text)
REVOKE ALL ON FUNCTION public.report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text, p_retry_in_ms integer, p_deep_link text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.report_onboarding_delivery(p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text, p_retry_in_ms integer, p_deep_link text) TO service_role;

-- FUNCTION request_user_onboarding(jsonb, text, boolean)
CREATE FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
declare
  v_admin uuid := auth.uid();
  v_tenant_id uuid := (p_payload ->> 'tenant_id')::uuid;
  v_correlation_id uuid := (p_payload ->> 'correlation_id')::uuid;
  v_user public.tenant_users;
  v_message public.onboarding_outbox;
  v_previous uuid;
begin
  perform private.caller_role(v_tenant_id);
  if v_admin is null or not private.is_tenant_admin(v_tenant_id) then
    raise exception using errcode = '42501', message = 'not_tenant_admin';
  end if;
  if (p_payload -> 'initiated_by' ->> 'id') is distinct from v_admin::text then
    raise exception using errcode = '42501', message = 'initiated_by_mismatch';
  end if;
  if p_start_token !~ '^[A-Za-z0-9_-]{16,64}$' then
    raise exception using errcode = '22023', message = 'invalid_start_token';
  end if;
  select * into v_user from public.tenant_users
  where id = (p_payload ->> 'user_id')::uuid and tenant_id = v_tenant_id
  for update;
  if not found then
    raise exception using errcode = '42501', message = 'user_not_in_tenant';
  end if;
  if v_user.email <> lower(p_payload ->> 'email') or v_user.user_role <> p_payload ->> 'user_role' then
    raise exception using message = 'user_mismatch';
  end if;
  -- The same request again (a client retry): the same answer, nothing written.
  if v_user.bot_correlation_id = v_correlation_id then
    return jsonb_build_object('correlation_id', v_correlation_id, 'replay', true);
  end if;
  if exists (select 1 from public.onboarding_outbox where correlation_id = v_correlation_id) then
    raise exception using message = 'correlation_id_used';
  end if;
  if v_user.bot_onboarding_status = 'completed' then
    raise exception using message = 'already_onboarded';
  end if;
  if v_user.bot_correlation_id is not null and v_user.bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat') and not p_resend then
    raise exception using message = 'onboarding_in_flight';
  end if;

  v_previous := v_user.bot_correlation_id;
  if v_previous is not null then
    -- Resend: the previous correlation id is superseded; its message is never sent
    -- again and its late callbacks are refused.
    update public.onboarding_outbox set status = 'superseded', payload = payload - 'start_token', lease_until = null
    where correlation_id = v_previous and status = 'pending';
    perform private.onboarding_event(v_user, v_previous, 'superseded', jsonb_build_object('by', v_correlation_id));
  end if;

  update public.tenant_users
  set bot_onboarding_status = 'pending',
      bot_onboarding_started_at = coalesce(bot_onboarding_started_at, now()),
      bot_onboarding_requested_at = now(),
      bot_onboarding_completed_at = null,
      bot_onboarding_error = null,
      bot_onboarding_retry_count = bot_onboarding_retry_count + case when v_previous is null then 0 else 1 end,
      bot_correlation_id = v_correlation_id,
      bot_start_token_hash = encode(sha256(convert_to(p_start_token, 'UTF8')), 'hex')
  where id = v_user.id
  returning * into v_user;

  perform private.notify_tenant(v_user, v_correlation_id, 'onboarding', 'Queued',
    format('Onboarding started for %s', v_user.email), 'info', v_admin);
  perform private.onboarding_event(v_user, v_correlation_id,
    case when v_previous is null then 'requested' else 'resend_requested' end,
    jsonb_build_object('initiated_by', v_admin, 'retry_count', v_user.bot_onboarding_retry_count));

  -- Written leased to this request, which delivers it at once; if it cannot, the
  -- lease runs out and the dispatcher takes over.
  insert into public.onboarding_outbox (tenant_id, user_id, correlation_id, payload, attempts, lease_until)
  values (v_tenant_id, v_user.id, v_correlation_id, p_payload || jsonb_build_object('start_token', p_start_token),
          1, now() + interval '30 seconds')
  returning * into v_message;
  return private.outbox_message(v_message) || jsonb_build_object('replay', false);
end
$_$;

-- COMMENT FUNCTION request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean)
COMMENT ON FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean) IS 'A tenant admin asks to onboard one of the tenant''s users over Telegram: in one transaction the pending state and correlation id, a notification, an event and the outbox message (idempotent by correlation id).';

-- ACL FUNCTION request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean)
REVOKE ALL ON FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean) TO authenticated;
GRANT ALL ON FUNCTION public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean) TO service_role;

-- FUNCTION sweep_onboarding_timeouts(interval)
CREATE FUNCTION public.sweep_onboarding_timeouts(p_older_than interval DEFAULT '48:00:00'::interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user public.tenant_users;
  swept integer := 0;
begin
  for v_user in
    select * from public.tenant_users
    where bot_onboarding_status in ('pending', 'invite_sent', 'awaiting_chat') and bot_correlation_id is not null
      and bot_onboarding_requested_at < now() - p_older_than
    for update skip locked
  loop
    perform private.record_onboarding_failure(v_user, v_user.bot_correlation_id,
      format('timeout: no confirmation within %s', p_older_than), 'timeout');
    swept := swept + 1;
  end loop;
  return swept;
end
$$;

-- ACL FUNCTION sweep_onboarding_timeouts(p_older_than interval)
REVOKE ALL ON FUNCTION public.sweep_onboarding_timeouts(p_older_than interval) FROM PUBLIC;
GRANT ALL ON FUNCTION public.sweep_onboarding_timeouts(p_older_than interval) TO service_role;

-- SEQUENCE onboarding_outbox_id_seq
ALTER TABLE public.onboarding_outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.onboarding_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- TABLE tenant_notifications
CREATE TABLE public.tenant_notifications (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid,
    triggered_by uuid,
    type text NOT NULL,
    title text NOT NULL,
    message text NOT NULL,
    level text NOT NULL,
    status text DEFAULT 'unread'::text NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    read_at timestamp with time zone,
    CONSTRAINT tenant_notifications_level_check CHECK ((level = ANY (ARRAY['info'::text, 'success'::text, 'warning'::text, 'error'::text]))),
    CONSTRAINT tenant_notifications_status_check CHECK ((status = ANY (ARRAY['unread'::text, 'read'::text])))
);

-- COMMENT TABLE tenant_notifications
COMMENT ON TABLE public.tenant_notifications IS 'A tenant''s notification feed on its dashboard: each onboarding step, warnings and failures, read or unread.';

-- ACL COLUMN tenant_notifications.status
GRANT UPDATE(status) ON TABLE public.tenant_notifications TO authenticated;

-- ACL TABLE tenant_notifications
GRANT ALL ON TABLE public.tenant_notifications TO service_role;
GRANT SELECT ON TABLE public.tenant_notifications TO authenticated;

-- TABLE user_onboarding_events
CREATE TABLE public.user_onboarding_events (
    id bigint NOT NULL,
    correlation_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id uuid,
    event text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE user_onboarding_events
COMMENT ON TABLE public.user_onboarding_events IS 'The timeline of each Telegram onboarding: one row per state change, by correlation id.';

-- ACL TABLE user_onboarding_events
GRANT ALL ON TABLE public.user_onboarding_events TO service_role;
GRANT SELECT ON TABLE public.user_onboarding_events TO authenticated;

-- SEQUENCE user_onboarding_events_id_seq
ALTER TABLE public.user_onboarding_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.user_onboarding_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- CONSTRAINT onboarding_outbox onboarding_outbox_correlation_id_key
ALTER TABLE ONLY public.onboarding_outbox
    ADD CONSTRAINT onboarding_outbox_correlation_id_key UNIQUE (correlation_id);

-- CONSTRAINT onboarding_outbox onboarding_outbox_pkey
ALTER TABLE ONLY public.onboarding_outbox
    ADD CONSTRAINT onboarding_outbox_pkey PRIMARY KEY (id);

-- CONSTRAINT tenant_notifications tenant_notifications_pkey
ALTER TABLE ONLY public.tenant_notifications
    ADD CONSTRAINT tenant_notifications_pkey PRIMARY KEY (id);

-- CONSTRAINT tenant_users tenant_users_bot_correlation_id_key
ALTER TABLE ONLY public.tenant_users
    ADD CONSTRAINT tenant_users_bot_correlation_id_key UNIQUE (bot_correlation_id);

-- CONSTRAINT tenant_users tenant_users_pkey
ALTER TABLE ONLY public.tenant_users
    ADD CONSTRAINT tenant_users_pkey PRIMARY KEY (id);

-- CONSTRAINT tenant_users tenant_users_tenant_id_email_key
ALTER TABLE ONLY public.tenant_users
    ADD CONSTRAINT tenant_users_tenant_id_email_key UNIQUE (tenant_id, email);

-- CONSTRAINT user_onboarding_events user_onboarding_events_pkey
ALTER TABLE ONLY public.user_onboarding_events
    ADD CONSTRAINT user_onboarding_events_pkey PRIMARY KEY (id);

-- INDEX onboarding_outbox_due_idx
CREATE INDEX onboarding_outbox_due_idx ON public.onboarding_outbox USING btree (next_attempt_at) WHERE (status = 'pending'::text);

-- INDEX onboarding_outbox_tenant_idx
CREATE INDEX onboarding_outbox_tenant_idx ON public.onboarding_outbox USING btree (tenant_id);

-- INDEX onboarding_outbox_user_idx
CREATE INDEX onboarding_outbox_user_idx ON public.onboarding_outbox USING btree (user_id);

-- INDEX tenant_notifications_feed_idx
CREATE INDEX tenant_notifications_feed_idx ON public.tenant_notifications USING btree (tenant_id, created_at DESC, id DESC);

-- INDEX tenant_notifications_tenant_id_idx
CREATE INDEX tenant_notifications_tenant_id_idx ON public.tenant_notifications USING btree (tenant_id, id);

-- INDEX tenant_notifications_unread_idx
CREATE INDEX tenant_notifications_unread_idx ON public.tenant_notifications USING btree (tenant_id, created_at DESC) WHERE (status = 'unread'::text);

-- INDEX tenant_notifications_user_idx
CREATE INDEX tenant_notifications_user_idx ON public.tenant_notifications USING btree (user_id) WHERE (user_id IS NOT NULL);

-- INDEX tenant_users_tenant_id_idx
CREATE INDEX tenant_users_tenant_id_idx ON public.tenant_users USING btree (tenant_id, id);

-- INDEX user_onboarding_events_correlation_idx
CREATE INDEX user_onboarding_events_correlation_idx ON public.user_onboarding_events USING btree (correlation_id, id);

-- INDEX user_onboarding_events_user_idx
CREATE INDEX user_onboarding_events_user_idx ON public.user_onboarding_events USING btree (user_id) WHERE (user_id IS NOT NULL);

-- TRIGGER tenant_users refuse_duplicate_tenant_user
CREATE TRIGGER refuse_duplicate_tenant_user BEFORE INSERT OR UPDATE OF email ON public.tenant_users FOR EACH ROW EXECUTE FUNCTION private.refuse_duplicate_tenant_user();

-- TRIGGER tenant_notifications stamp_read
CREATE TRIGGER stamp_read BEFORE UPDATE OF status ON public.tenant_notifications FOR EACH ROW EXECUTE FUNCTION private.stamp_notification_read();

-- TRIGGER tenant_users touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.tenant_users FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- FK CONSTRAINT onboarding_outbox onboarding_outbox_tenant_id_fkey
ALTER TABLE ONLY public.onboarding_outbox
    ADD CONSTRAINT onboarding_outbox_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT onboarding_outbox onboarding_outbox_user_id_fkey
ALTER TABLE ONLY public.onboarding_outbox
    ADD CONSTRAINT onboarding_outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.tenant_users(id) ON DELETE CASCADE;

-- FK CONSTRAINT tenant_notifications tenant_notifications_tenant_id_fkey
ALTER TABLE ONLY public.tenant_notifications
    ADD CONSTRAINT tenant_notifications_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT tenant_notifications tenant_notifications_triggered_by_fkey
ALTER TABLE ONLY public.tenant_notifications
    ADD CONSTRAINT tenant_notifications_triggered_by_fkey FOREIGN KEY (triggered_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT tenant_notifications tenant_notifications_user_id_fkey
ALTER TABLE ONLY public.tenant_notifications
    ADD CONSTRAINT tenant_notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.tenant_users(id) ON DELETE SET NULL;

-- FK CONSTRAINT tenant_users tenant_users_tenant_id_fkey
ALTER TABLE ONLY public.tenant_users
    ADD CONSTRAINT tenant_users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT user_onboarding_events user_onboarding_events_tenant_id_fkey
ALTER TABLE ONLY public.user_onboarding_events
    ADD CONSTRAINT user_onboarding_events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT user_onboarding_events user_onboarding_events_user_id_fkey
ALTER TABLE ONLY public.user_onboarding_events
    ADD CONSTRAINT user_onboarding_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.tenant_users(id) ON DELETE SET NULL;

-- ROW SECURITY onboarding_outbox
ALTER TABLE public.onboarding_outbox ENABLE ROW LEVEL SECURITY;

-- POLICY tenant_users tenant admins add users
CREATE POLICY "tenant admins add users" ON public.tenant_users FOR INSERT TO authenticated WITH CHECK ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY tenant_users tenant admins edit users
CREATE POLICY "tenant admins edit users" ON public.tenant_users FOR UPDATE TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[]))) WITH CHECK ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY tenant_notifications tenant admins mark notifications read
CREATE POLICY "tenant admins mark notifications read" ON public.tenant_notifications FOR UPDATE TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[]))) WITH CHECK ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY tenant_notifications tenant admins read notifications
CREATE POLICY "tenant admins read notifications" ON public.tenant_notifications FOR SELECT TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY user_onboarding_events tenant admins read the timeline
CREATE POLICY "tenant admins read the timeline" ON public.user_onboarding_events FOR SELECT TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY tenant_users tenant admins read their users
CREATE POLICY "tenant admins read their users" ON public.tenant_users FOR SELECT TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY tenant_users tenant admins remove users
CREATE POLICY "tenant admins remove users" ON public.tenant_users FOR DELETE TO authenticated USING ((tenant_id = ANY (( SELECT private.permitted_organizations('tenant_users:manage'::text) AS permitted_organizations)::uuid[])));

-- ROW SECURITY tenant_notifications
ALTER TABLE public.tenant_notifications ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY tenant_users
ALTER TABLE public.tenant_users ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY user_onboarding_events
ALTER TABLE public.user_onboarding_events ENABLE ROW LEVEL SECURITY;
