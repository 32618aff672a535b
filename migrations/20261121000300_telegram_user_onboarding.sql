-- Tenant user onboarding over Telegram, through a Make scenario (seed 003). A tenant is
-- an organization; its complainants and executors are `tenant_users`, who may never
-- log in. Every state change is a `tenant_notifications` row (the seed's lifecycle) and
-- a `user_onboarding_events` row (the timeline), and every message to Make is written
-- to `onboarding_outbox` in the same transaction as the change that causes it.

create or replace function private.is_tenant_admin(p_tenant_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.organization_members
    where organization_id = p_tenant_id and user_id = (select auth.uid()) and role in ('owner', 'admin'))
$$;
revoke execute on function private.is_tenant_admin(uuid) from public;
grant execute on function private.is_tenant_admin(uuid) to authenticated, service_role;

create table public.tenant_users (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.organizations (id) on delete cascade,
  user_role text not null check (user_role in ('executor', 'complainant')),
  email text not null check (email = lower(email) and email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  full_name text check (char_length(full_name) <= 200),
  employee_id text check (char_length(employee_id) <= 100),
  is_active boolean not null default false,
  telegram_chat_id bigint,
  telegram_user_id bigint,
  bot_onboarding_status text not null default 'pending'
    check (bot_onboarding_status in ('pending', 'invite_sent', 'completed', 'failed')),
  bot_onboarding_started_at timestamptz,
  -- When the current correlation id was requested (the timeout sweep's clock).
  bot_onboarding_requested_at timestamptz,
  bot_onboarding_completed_at timestamptz,
  bot_onboarding_error text,
  bot_onboarding_retry_count integer not null default 0,
  bot_deep_link text,
  bot_correlation_id uuid unique,
  -- SHA-256 (hex) of the single-use start token in the Telegram deep link.
  bot_start_token_hash text check (bot_start_token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, email)
);
create trigger touch_updated_at before update on public.tenant_users
  for each row execute function private.touch_updated_at();

create table public.tenant_notifications (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.tenant_users (id) on delete set null,
  triggered_by uuid references auth.users (id) on delete set null,
  type text not null,
  title text not null,
  message text not null,
  level text not null check (level in ('info', 'success', 'warning', 'error')),
  status text not null default 'unread' check (status in ('unread', 'read')),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  read_at timestamptz
);
create index tenant_notifications_feed_idx on public.tenant_notifications (tenant_id, created_at desc, id desc);
create index tenant_notifications_unread_idx on public.tenant_notifications (tenant_id, created_at desc) where status = 'unread';

-- Marking read stamps read_at; nothing else about a notification changes.
create or replace function private.stamp_notification_read() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.read_at := case when new.status = 'read' then coalesce(old.read_at, now()) end;
  return new;
end
$$;
create trigger stamp_read before update of status on public.tenant_notifications
  for each row execute function private.stamp_notification_read();

create table public.user_onboarding_events (
  id bigint generated always as identity primary key,
  correlation_id uuid not null,
  tenant_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.tenant_users (id) on delete set null,
  event text not null,
  detail jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index user_onboarding_events_correlation_idx on public.user_onboarding_events (correlation_id, id);

create table public.onboarding_outbox (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references public.tenant_users (id) on delete cascade,
  correlation_id uuid not null unique,
  -- The seed's payload plus the start token. The token is removed once the message is
  -- delivered, dead or superseded: only its hash stays, on the user.
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead', 'superseded')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
create index onboarding_outbox_due_idx on public.onboarding_outbox (next_attempt_at) where status = 'pending';

-- RLS ---------------------------------------------------------------------------------------------

alter table public.tenant_users enable row level security;
alter table public.tenant_notifications enable row level security;
alter table public.user_onboarding_events enable row level security;
alter table public.onboarding_outbox enable row level security;

revoke all on public.tenant_users, public.tenant_notifications, public.user_onboarding_events,
  public.onboarding_outbox from anon, authenticated;
grant all on public.tenant_users, public.tenant_notifications, public.user_onboarding_events,
  public.onboarding_outbox to service_role;

-- Tenant admins manage their tenant's users; onboarding columns change only through RPCs.
grant select (id, tenant_id, user_role, email, full_name, employee_id, is_active, telegram_chat_id,
  telegram_user_id, bot_onboarding_status, bot_onboarding_started_at, bot_onboarding_requested_at,
  bot_onboarding_completed_at, bot_onboarding_error, bot_onboarding_retry_count, bot_deep_link,
  bot_correlation_id, created_at, updated_at) on public.tenant_users to authenticated;
grant insert (tenant_id, user_role, email, full_name, employee_id) on public.tenant_users to authenticated;
grant update (full_name, employee_id) on public.tenant_users to authenticated;
grant delete on public.tenant_users to authenticated;
create policy "tenant admins read their users" on public.tenant_users
  for select to authenticated using ((select private.is_tenant_admin(tenant_id)));
create policy "tenant admins add users" on public.tenant_users
  for insert to authenticated with check ((select private.is_tenant_admin(tenant_id)));
create policy "tenant admins edit users" on public.tenant_users
  for update to authenticated using ((select private.is_tenant_admin(tenant_id)))
  with check ((select private.is_tenant_admin(tenant_id)));
create policy "tenant admins remove users" on public.tenant_users
  for delete to authenticated using ((select private.is_tenant_admin(tenant_id)));

-- Notifications: read and mark read within the tenant; only the service role inserts.
grant select on public.tenant_notifications to authenticated;
grant update (status) on public.tenant_notifications to authenticated;
create policy "tenant admins read notifications" on public.tenant_notifications
  for select to authenticated using ((select private.is_tenant_admin(tenant_id)));
create policy "tenant admins mark notifications read" on public.tenant_notifications
  for update to authenticated using ((select private.is_tenant_admin(tenant_id)))
  with check ((select private.is_tenant_admin(tenant_id)));

grant select on public.user_onboarding_events to authenticated;
create policy "tenant admins read the timeline" on public.user_onboarding_events
  for select to authenticated using ((select private.is_tenant_admin(tenant_id)));
-- onboarding_outbox: no client access at all.

-- Internal helpers ----------------------------------------------------------------------------------

create or replace function private.notify_tenant(
  p_user public.tenant_users, p_correlation_id uuid, p_type text, p_title text, p_message text,
  p_level text, p_triggered_by uuid default null, p_action_hint text default null
) returns void
language sql set search_path = '' as $$
  insert into public.tenant_notifications (tenant_id, user_id, triggered_by, type, title, message, level, metadata)
  values (p_user.tenant_id, p_user.id, p_triggered_by, p_type, p_title, p_message, p_level,
          jsonb_strip_nulls(jsonb_build_object(
            'correlation_id', p_correlation_id, 'email', p_user.email, 'role', p_user.user_role,
            'retry_count', p_user.bot_onboarding_retry_count, 'action_hint', p_action_hint)))
$$;

create or replace function private.onboarding_event(p_user public.tenant_users, p_correlation_id uuid, p_event text, p_detail jsonb default '{}')
returns void
language sql set search_path = '' as $$
  insert into public.user_onboarding_events (correlation_id, tenant_id, user_id, event, detail)
  values (p_correlation_id, p_user.tenant_id, p_user.id, p_event, coalesce(p_detail, '{}'))
$$;

-- The leased message as the dispatcher needs it.
create or replace function private.outbox_message(p_message public.onboarding_outbox) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object('outbox_id', p_message.id, 'correlation_id', p_message.correlation_id,
                            'attempt', p_message.attempts, 'payload', p_message.payload)
$$;

-- Request (user-onboarding-request, as the tenant admin) ------------------------------------------

create or replace function public.request_user_onboarding(p_payload jsonb, p_start_token text, p_resend boolean default false)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_admin uuid := auth.uid();
  v_tenant_id uuid := (p_payload ->> 'tenant_id')::uuid;
  v_correlation_id uuid := (p_payload ->> 'correlation_id')::uuid;
  v_user public.tenant_users;
  v_message public.onboarding_outbox;
  v_previous uuid;
begin
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
  if v_user.bot_correlation_id is not null and v_user.bot_onboarding_status in ('pending', 'invite_sent') and not p_resend then
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
$$;
revoke execute on function public.request_user_onboarding(jsonb, text, boolean) from public, anon;
grant execute on function public.request_user_onboarding(jsonb, text, boolean) to authenticated, service_role;

-- Dispatch (user-onboarding-dispatch, as the service role) -------------------------------------------

create or replace function public.claim_onboarding_outbox(p_limit integer default 20, p_lease_seconds integer default 30)
returns jsonb
language sql security definer set search_path = '' as $$
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
revoke execute on function public.claim_onboarding_outbox(integer, integer) from public, anon, authenticated;
grant execute on function public.claim_onboarding_outbox(integer, integer) to service_role;

-- What became of one attempt: 'delivered', 'retry' (after p_retry_in_ms) or 'dead'.
-- A report for an attempt that is no longer the current one is ignored.
create or replace function public.report_onboarding_delivery(
  p_outbox_id bigint, p_attempt integer, p_outcome text, p_error text default null,
  p_retry_in_ms integer default null, p_deep_link text default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
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
revoke execute on function public.report_onboarding_delivery(bigint, integer, text, text, integer, text) from public, anon, authenticated;
grant execute on function public.report_onboarding_delivery(bigint, integer, text, text, integer, text) to service_role;

-- Callback (user-onboarding-callback, as the service role) --------------------------------------------

-- The user behind a callback's correlation id, locked; or the matching error.
create or replace function private.callback_user(p_correlation_id uuid, p_email text) returns public.tenant_users
language plpgsql set search_path = '' as $$
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

create or replace function public.complete_user_onboarding(
  p_correlation_id uuid, p_email text, p_chat_id bigint, p_telegram_user_id bigint default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users := private.callback_user(p_correlation_id, p_email);
begin
  if v_user.bot_onboarding_status = 'completed' then
    if v_user.telegram_chat_id = p_chat_id then
      return jsonb_build_object('status', 'completed', 'replay', true);
    end if;
    raise exception using message = 'already_completed';
  end if;
  update public.tenant_users
  set telegram_chat_id = p_chat_id, telegram_user_id = coalesce(p_telegram_user_id, telegram_user_id),
      bot_onboarding_status = 'completed', bot_onboarding_completed_at = now(), bot_onboarding_error = null,
      is_active = true, bot_start_token_hash = null
  where id = v_user.id returning * into v_user;
  perform private.notify_tenant(v_user, p_correlation_id, 'onboarding', 'Completed',
    format('%s connected Telegram and is now active', v_user.email), 'success');
  perform private.onboarding_event(v_user, p_correlation_id, 'completed', '{}');
  return jsonb_build_object('status', 'completed', 'replay', false);
end
$$;
revoke execute on function public.complete_user_onboarding(uuid, text, bigint, bigint) from public, anon, authenticated;
grant execute on function public.complete_user_onboarding(uuid, text, bigint, bigint) to service_role;

create or replace function public.fail_user_onboarding(p_correlation_id uuid, p_error text, p_reason text default null)
returns jsonb
language plpgsql security definer set search_path = '' as $$
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
revoke execute on function public.fail_user_onboarding(uuid, text, text) from public, anon, authenticated;
grant execute on function public.fail_user_onboarding(uuid, text, text) to service_role;

create or replace function private.record_onboarding_failure(p_user public.tenant_users, p_correlation_id uuid, p_error text, p_reason text)
returns void
language plpgsql set search_path = '' as $$
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

-- Timeouts (scheduled) --------------------------------------------------------------------------------

create or replace function public.sweep_onboarding_timeouts(p_older_than interval default interval '48 hours')
returns integer
language plpgsql security definer set search_path = '' as $$
declare
  v_user public.tenant_users;
  swept integer := 0;
begin
  for v_user in
    select * from public.tenant_users
    where bot_onboarding_status in ('pending', 'invite_sent') and bot_correlation_id is not null
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
revoke execute on function public.sweep_onboarding_timeouts(interval) from public, anon, authenticated;
grant execute on function public.sweep_onboarding_timeouts(interval) to service_role;

-- Schedules -------------------------------------------------------------------------------------------------
-- The dispatcher is an edge function; pg_cron calls it through pg_net. URL and key are
-- per project, so they are arguments (see the README):
--   select private.install_onboarding_dispatcher('https://<ref>.supabase.co/functions/v1', '<service role key>');

create or replace function private.install_onboarding_dispatcher(
  p_functions_url text, p_service_role_key text, p_schedule text default '10 seconds'
) returns bigint
language plpgsql set search_path = '' as $$
begin
  if p_functions_url !~ '^https?://' or coalesce(p_service_role_key, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'install_onboarding_dispatcher needs an http(s) functions URL and the service role key';
  end if;
  return cron.schedule('user-onboarding-dispatch', p_schedule, format(
    'select net.http_post(url := %L, body := ''{}''::jsonb, headers := %L::jsonb, timeout_milliseconds := 30000)',
    rtrim(p_functions_url, '/') || '/user-onboarding/dispatch',
    jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || p_service_role_key)::text));
end
$$;
revoke execute on function private.install_onboarding_dispatcher(text, text, text) from public;

select private.schedule_if_cron('sweep-onboarding-timeouts', '*/5 * * * *', 'select public.sweep_onboarding_timeouts()');
