-- Events out: signed webhooks to each organization's own endpoints (Standard Webhooks).
--
-- An event is written in the transaction of the change that causes it: a trigger on the
-- audit log (which the organization changes write themselves) and on the tenant users'
-- onboarding timeline turns a row into a message, queued once per enabled endpoint that
-- wants its type. The deliver-webhooks function (pg_cron → pg_net → function) claims an
-- endpoint at a time with a lease (FOR UPDATE SKIP LOCKED), delivers its due messages in
-- order of creation, and reports every attempt here in one transaction.

-- Settings --------------------------------------------------------------------------------------

-- Svix's schedule: the delay before each attempt, in seconds (immediately, 5 s, 5 min,
-- 30 min, 2 h, 5 h, 10 h, 10 h); after an endpoint has failed everything for
-- `p_disable_after` it is disabled. Private (loopback, RFC 1918, link-local) and http URLs
-- are refused unless `p_allow_private_urls` (the local stack's default).
create or replace function private.configure_webhooks(
  p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean
) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if p_retry_schedule !~ '^[0-9]+(\.[0-9]+)?(,[0-9]+(\.[0-9]+)?)*$' or p_disable_after::interval is null then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'a comma-separated list of seconds, and an interval';
  end if;
  insert into private.settings (key, value) values
    ('webhook_retry_schedule', p_retry_schedule), ('webhook_disable_after', p_disable_after),
    ('webhook_allow_private_urls', p_allow_private_urls::text)
  on conflict (key) do update set value = excluded.value;
end
$$;
revoke execute on function private.configure_webhooks(text, text, boolean) from public;

create or replace function private.webhook_retry_delays() returns numeric[]
language sql stable security definer set search_path = '' as $$
  select string_to_array(private.setting('webhook_retry_schedule', '0,5,300,1800,7200,18000,36000,36000'), ',')::numeric[]
$$;
revoke execute on function private.webhook_retry_delays() from public;

-- The event catalogue.
create or replace function private.webhook_event_types() returns text[]
language sql immutable set search_path = '' as $$
  select array['organization.activated', 'invite.created', 'invite.accepted', 'invite.revoked', 'invite.declined',
               'member.added', 'member.removed', 'member.role_changed', 'ownership.transferred',
               'tenant_user.onboarding.completed', 'tenant_user.onboarding.failed']
$$;
revoke execute on function private.webhook_event_types() from public;

-- Tables ----------------------------------------------------------------------------------------

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  url text not null check (char_length(url) <= 2048),
  -- The event types it wants; empty: all of them.
  event_types text[] not null default '{}',
  description text check (char_length(description) <= 500),
  enabled boolean not null default true,
  disabled_at timestamptz,
  disabled_reason text,
  -- Since when every attempt has failed (null after any success).
  failing_since timestamptz,
  -- The dispatcher holding the endpoint, and until when.
  lease_id uuid,
  lease_until timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_organization_idx on public.webhook_endpoints (organization_id);
create trigger touch_updated_at before update on public.webhook_endpoints
  for each row execute function private.touch_updated_at();

-- Signing secrets: what signing needs and nothing else, readable by no API role. The
-- current one has no `retires_at`; after a rotation the previous one signs too until then.
create table private.webhook_secrets (
  id bigint generated always as identity primary key,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/=]+$'),
  created_at timestamptz not null default now(),
  retires_at timestamptz
);
revoke all on private.webhook_secrets from public;

create table public.webhook_messages (
  -- `msg_` and 32 hex digits: the `webhook-id` of every attempt, the receiver's idempotency key.
  id text primary key,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  event_type text not null,
  payload jsonb not null,
  created_at timestamptz not null default clock_timestamp()
);
create index webhook_messages_organization_idx on public.webhook_messages (organization_id, created_at);

create table public.webhook_outbox (
  seq bigint generated always as identity,
  message_id text not null references public.webhook_messages (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  primary key (message_id, endpoint_id)
);
create index webhook_outbox_pending_idx on public.webhook_outbox (endpoint_id, seq) where status = 'pending';

create table public.webhook_deliveries (
  id bigint generated always as identity primary key,
  message_id text not null references public.webhook_messages (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  attempt integer not null,
  status_code integer,
  duration_ms integer,
  error text,
  at timestamptz not null default now()
);
create index webhook_deliveries_message_idx on public.webhook_deliveries (message_id, endpoint_id, attempt);

alter table public.webhook_endpoints enable row level security;
alter table public.webhook_messages enable row level security;
alter table public.webhook_outbox enable row level security;
alter table public.webhook_deliveries enable row level security;
revoke all on public.webhook_endpoints, public.webhook_messages, public.webhook_outbox, public.webhook_deliveries
  from anon, authenticated;
grant all on public.webhook_endpoints, public.webhook_messages, public.webhook_outbox, public.webhook_deliveries
  to service_role;
-- The endpoints' rows hold no secret (those are in private.webhook_secrets).
grant select on public.webhook_endpoints, public.webhook_messages, public.webhook_outbox, public.webhook_deliveries
  to authenticated;
create policy "owners and admins read their endpoints" on public.webhook_endpoints
  for select to authenticated using (organization_id in (select private.administered_organization_ids()));
create policy "owners and admins read their messages" on public.webhook_messages
  for select to authenticated using (organization_id in (select private.administered_organization_ids()));
create policy "owners and admins read their queue" on public.webhook_outbox
  for select to authenticated using (endpoint_id in (select id from public.webhook_endpoints));
create policy "owners and admins read their deliveries" on public.webhook_deliveries
  for select to authenticated using (endpoint_id in (select id from public.webhook_endpoints));

-- Events, in the transaction of their cause ------------------------------------------------------

-- Queues `p_type` for the organization's enabled endpoints that want it, when its features
-- include webhooks.
create or replace function private.emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb)
returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_id text;
begin
  if not exists (select 1 from public.webhook_endpoints
                 where organization_id = p_organization_id and enabled
                   and (event_types = '{}' or p_type = any (event_types)))
     or not ('webhooks' = any (private.enabled_features(p_organization_id))) then
    return;
  end if;
  v_id := 'msg_' || encode(extensions.gen_random_bytes(16), 'hex');
  insert into public.webhook_messages (id, organization_id, event_type, payload)
  values (v_id, p_organization_id, p_type, jsonb_build_object(
    'type', p_type,
    'timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'data', p_data || jsonb_build_object('organization_id', p_organization_id)));
  insert into public.webhook_outbox (message_id, endpoint_id)
  select v_id, id from public.webhook_endpoints
  where organization_id = p_organization_id and enabled and (event_types = '{}' or p_type = any (event_types))
  order by created_at, id;
end
$$;
revoke execute on function private.emit_webhook_event(uuid, text, jsonb) from public;

-- The audit log's actions as events (no token or hash is ever in the audit log).
create or replace function private.webhook_from_audit() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_type text := case new.action
    when 'member.left' then 'member.removed'
    else new.action end;
begin
  if v_type = any (private.webhook_event_types()) then
    perform private.emit_webhook_event(new.organization_id, v_type, jsonb_strip_nulls(jsonb_build_object(
      'actor_id', new.actor_id, 'user_id', new.target_user_id, 'invite_id', new.target_invite_id,
      'left', case when new.action = 'member.left' then true end,
      'before', new.before, 'after', new.after)));
  end if;
  return null;
end
$$;
revoke execute on function private.webhook_from_audit() from public;
create trigger webhook_from_audit after insert on public.organization_audit_log
  for each row execute function private.webhook_from_audit();

create or replace function private.webhook_from_onboarding_event() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_type text := case when new.event in ('completed', 'force_completed') then 'tenant_user.onboarding.completed'
                      when new.event = 'failed' then 'tenant_user.onboarding.failed' end;
  v_user public.tenant_users;
begin
  if v_type is not null then
    select * into v_user from public.tenant_users where id = new.user_id;
    perform private.emit_webhook_event(new.tenant_id, v_type, jsonb_strip_nulls(jsonb_build_object(
      'tenant_user_id', new.user_id, 'correlation_id', new.correlation_id, 'email', v_user.email,
      'role', v_user.user_role, 'forced', case when new.event = 'force_completed' then true end,
      'error', new.detail ->> 'error', 'reason', new.detail ->> 'reason')));
  end if;
  return null;
end
$$;
revoke execute on function private.webhook_from_onboarding_event() from public;
create trigger webhook_from_onboarding_event after insert on public.user_onboarding_events
  for each row execute function private.webhook_from_onboarding_event();

-- Endpoints (owners and admins of organizations with the webhooks feature) ---------------------

-- Locks the organization, checks the caller administers it and that it has webhooks.
create or replace function private.administer_webhooks(p_organization_id uuid) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if private.role_rank(private.lock_organization_as_member(p_organization_id)) < 3 then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins manage webhooks';
  end if;
  if not ('webhooks' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include webhooks';
  end if;
end
$$;
revoke execute on function private.administer_webhooks(uuid) from public;

-- Whether an endpoint URL may be used: https on a public host (IP literals in loopback,
-- private, link-local, CGNAT or unspecified ranges and `localhost` are refused), unless
-- private URLs are allowed (then http too).
create or replace function private.webhook_url_allowed(p_url text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_host text := lower(substring(p_url from '^https?://(\[[0-9a-fA-F:.]+\]|[^/:?#@\s]+)'));
  v_address inet;
begin
  if p_url is null or char_length(p_url) > 2048 or v_host is null or p_url ~ '\s' then
    return false;
  end if;
  if private.setting('webhook_allow_private_urls', 'false') = 'true' then
    return p_url ~ '^https?://';
  end if;
  if p_url !~ '^https://' or v_host = 'localhost' or v_host like '%.localhost' then
    return false;
  end if;
  begin
    v_address := trim(both '[]' from v_host)::inet;
  exception when others then
    return private.is_hostname(v_host);
  end;
  return not (v_address << any (array['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16',
                                      '172.16.0.0/12', '192.168.0.0/16', '::/128', '::1/128', 'fc00::/7',
                                      'fe80::/10', '::ffff:0:0/96']::inet[])
              or v_address = any (array['0.0.0.0', '::', '::1']::inet[]));
end
$$;
revoke execute on function private.webhook_url_allowed(text) from public;

create or replace function private.new_webhook_secret() returns text
language sql volatile security definer set search_path = '' as $$
  select 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64')
$$;
revoke execute on function private.new_webhook_secret() from public;

-- Creates an endpoint; the answer holds its signing secret, shown this once.
create or replace function public.create_webhook_endpoint(
  p_organization_id uuid, p_url text, p_events text[] default null, p_description text default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_secret text := private.new_webhook_secret();
begin
  perform private.administer_webhooks(p_organization_id);
  if not private.webhook_url_allowed(btrim(p_url)) then
    raise exception using errcode = '22023', message = 'invalid_url',
      detail = 'url: an https URL of at most 2,048 characters on a public host (not loopback, private or link-local)';
  end if;
  if not (coalesce(p_events, '{}') <@ private.webhook_event_types()) then
    raise exception using errcode = '22023', message = 'invalid_events',
      detail = 'events: any of ' || array_to_string(private.webhook_event_types(), ', ') || ' (none: all)';
  end if;
  if char_length(p_description) > 500 then
    raise exception using errcode = '22023', message = 'invalid_description', detail = 'description: at most 500 characters';
  end if;
  insert into public.webhook_endpoints (organization_id, url, event_types, description, created_by)
  values (p_organization_id, btrim(p_url), coalesce(p_events, '{}'), p_description, auth.uid())
  returning * into v_endpoint;
  insert into private.webhook_secrets (endpoint_id, secret) values (v_endpoint.id, v_secret);
  perform private.audit(p_organization_id, 'webhook_endpoint.created', null, null, null,
                        jsonb_build_object('endpoint_id', v_endpoint.id, 'url', v_endpoint.url));
  return jsonb_build_object('id', v_endpoint.id, 'organization_id', p_organization_id, 'url', v_endpoint.url,
    'events', to_jsonb(v_endpoint.event_types), 'description', v_endpoint.description,
    'enabled', true, 'secret', v_secret);
end
$$;
revoke execute on function public.create_webhook_endpoint(uuid, text, text[], text) from public, anon;
grant execute on function public.create_webhook_endpoint(uuid, text, text[], text) to authenticated;

-- The endpoint, locked, after the same checks as creating one.
create or replace function private.administered_endpoint(p_endpoint_id uuid) returns public.webhook_endpoints
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id;
  if not found or not (v_endpoint.organization_id in (select private.administered_organization_ids())
                       or private.is_platform_admin()) then
    raise exception using errcode = 'PT404', message = 'endpoint_not_found', detail = 'no such webhook endpoint';
  end if;
  perform private.administer_webhooks(v_endpoint.organization_id);
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id for update;
  return v_endpoint;
end
$$;
revoke execute on function private.administered_endpoint(uuid) from public;

-- A new secret, shown this once; the previous one keeps signing alongside it for 24 h.
create or replace function public.rotate_webhook_secret(p_endpoint_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
  v_secret text := private.new_webhook_secret();
  v_until timestamptz := now() + interval '24 hours';
begin
  delete from private.webhook_secrets where endpoint_id = v_endpoint.id and retires_at is not null;
  update private.webhook_secrets set retires_at = v_until where endpoint_id = v_endpoint.id and retires_at is null;
  insert into private.webhook_secrets (endpoint_id, secret) values (v_endpoint.id, v_secret);
  perform private.audit(v_endpoint.organization_id, 'webhook_endpoint.secret_rotated', null, null, null,
                        jsonb_build_object('endpoint_id', v_endpoint.id));
  return jsonb_build_object('id', v_endpoint.id, 'secret', v_secret, 'previous_secret_valid_until', v_until);
end
$$;
revoke execute on function public.rotate_webhook_secret(uuid) from public, anon;
grant execute on function public.rotate_webhook_secret(uuid) to authenticated;

create or replace function public.disable_webhook_endpoint(p_endpoint_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  update public.webhook_endpoints set enabled = false, disabled_at = now(), disabled_reason = 'disabled by a member'
  where id = v_endpoint.id;
  return jsonb_build_object('id', v_endpoint.id, 'enabled', false);
end
$$;
revoke execute on function public.disable_webhook_endpoint(uuid) from public, anon;
grant execute on function public.disable_webhook_endpoint(uuid) to authenticated;

-- Enabling again (after a disable, or the automatic one) starts the failure clock afresh.
create or replace function public.enable_webhook_endpoint(p_endpoint_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  update public.webhook_endpoints
  set enabled = true, disabled_at = null, disabled_reason = null, failing_since = null
  where id = v_endpoint.id;
  return jsonb_build_object('id', v_endpoint.id, 'enabled', true);
end
$$;
revoke execute on function public.enable_webhook_endpoint(uuid) from public, anon;
grant execute on function public.enable_webhook_endpoint(uuid) to authenticated;

create or replace function public.delete_webhook_endpoint(p_endpoint_id uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  delete from public.webhook_endpoints where id = v_endpoint.id;
  perform private.audit(v_endpoint.organization_id, 'webhook_endpoint.deleted', null, null, null,
                        jsonb_build_object('endpoint_id', v_endpoint.id, 'url', v_endpoint.url));
  return jsonb_build_object('id', v_endpoint.id, 'deleted', true);
end
$$;
revoke execute on function public.delete_webhook_endpoint(uuid) from public, anon;
grant execute on function public.delete_webhook_endpoint(uuid) to authenticated;

-- Queues a message again for every endpoint it went to (or `p_endpoint_id` only), from its
-- first attempt; the same `webhook-id`, so a receiver that has it already can skip it.
create or replace function public.replay_webhook_message(p_message_id text, p_endpoint_id uuid default null)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_message public.webhook_messages;
  v_count integer;
begin
  select * into v_message from public.webhook_messages where id = p_message_id;
  if not found or not (v_message.organization_id in (select private.administered_organization_ids())) then
    raise exception using errcode = 'PT404', message = 'message_not_found', detail = 'no such webhook message';
  end if;
  perform private.administer_webhooks(v_message.organization_id);
  update public.webhook_outbox o
  set status = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, delivered_at = null
  where o.message_id = p_message_id and (p_endpoint_id is null or o.endpoint_id = p_endpoint_id)
    and exists (select 1 from public.webhook_endpoints e where e.id = o.endpoint_id and e.enabled);
  get diagnostics v_count = row_count;
  return jsonb_build_object('message_id', p_message_id, 'requeued', v_count);
end
$$;
revoke execute on function public.replay_webhook_message(text, uuid) from public, anon;
grant execute on function public.replay_webhook_message(text, uuid) to authenticated;

-- Delivery (the service role: deliver-webhooks) ------------------------------------------------

-- Leases up to `p_endpoints` endpoints whose oldest pending message is due, and returns,
-- for each, its URL, the secrets that sign, and its first `p_messages` pending messages in
-- order of creation. One dispatcher holds an endpoint at a time, so messages go out in
-- order and once per lease.
create or replace function public.claim_webhook_batches(
  p_endpoints integer default 10, p_messages integer default 50, p_lease_seconds integer default 120
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_batches jsonb := '[]';
  v_endpoint record;
  v_lease uuid;
begin
  for v_endpoint in
    select e.id, e.url from public.webhook_endpoints e
    where e.enabled and (e.lease_until is null or e.lease_until < now())
      and (select o.next_attempt_at <= now() from public.webhook_outbox o
           where o.endpoint_id = e.id and o.status = 'pending' order by o.seq limit 1)
    order by e.id
    limit greatest(p_endpoints, 1)
    for update of e skip locked
  loop
    v_lease := gen_random_uuid();
    update public.webhook_endpoints
    set lease_id = v_lease, lease_until = now() + make_interval(secs => p_lease_seconds)
    where id = v_endpoint.id;
    v_batches := v_batches || jsonb_build_object(
      'endpoint_id', v_endpoint.id, 'lease_id', v_lease, 'url', v_endpoint.url,
      'secrets', (select jsonb_agg(secret order by id desc) from private.webhook_secrets
                  where endpoint_id = v_endpoint.id and (retires_at is null or retires_at > now())),
      'messages', (select coalesce(jsonb_agg(jsonb_build_object(
                      'id', m.id, 'attempt', o.attempts + 1, 'body', m.payload::text) order by o.seq), '[]')
                   from (select * from public.webhook_outbox
                         where endpoint_id = v_endpoint.id and status = 'pending'
                         order by seq limit greatest(p_messages, 1)) o
                   join public.webhook_messages m on m.id = o.message_id));
  end loop;
  return v_batches;
end
$$;
revoke execute on function public.claim_webhook_batches(integer, integer, integer) from public, anon, authenticated;
grant execute on function public.claim_webhook_batches(integer, integer, integer) to service_role;

-- Records a batch's attempts (`p_results`: [{message_id, attempt, status_code, duration_ms,
-- error, retry_after_ms}]) and releases the endpoint: 2xx delivered; 429, 5xx and no
-- answer retried on the schedule with ±20% jitter, never sooner than Retry-After; other 4xx
-- and the last attempt failed. An endpoint failing everything for the disable period is
-- disabled, its pending messages failed (replayable once it is enabled again), and its
-- organization's owners and admins are notified.
create or replace function public.report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_endpoint public.webhook_endpoints;
  v_result record;
  v_delays numeric[] := private.webhook_retry_delays();
  v_outcome text;
  v_counts jsonb := '{"delivered": 0, "retry": 0, "failed": 0}';
begin
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id for update;
  if not found then
    return v_counts;  -- deleted meanwhile: nothing left to record
  end if;
  for v_result in
    select * from jsonb_to_recordset(coalesce(p_results, '[]')) as r(
      message_id text, attempt integer, status_code integer, duration_ms integer, error text, retry_after_ms bigint)
  loop
    insert into public.webhook_deliveries (message_id, endpoint_id, attempt, status_code, duration_ms, error)
    values (v_result.message_id, p_endpoint_id, v_result.attempt, v_result.status_code, v_result.duration_ms,
            left(v_result.error, 500));
    v_outcome := case
      when v_result.status_code between 200 and 299 then 'delivered'
      when v_result.status_code between 400 and 499 and v_result.status_code <> 429 then 'failed'
      when v_result.attempt >= cardinality(v_delays) then 'failed'
      else 'retry' end;
    update public.webhook_outbox set
      status = case v_outcome when 'retry' then 'pending' else v_outcome end,
      attempts = greatest(attempts, v_result.attempt),
      last_status_code = v_result.status_code,
      last_error = left(v_result.error, 500),
      delivered_at = case when v_outcome = 'delivered' then now() end,
      next_attempt_at = case when v_outcome = 'retry' then now() + make_interval(secs => greatest(
        v_delays[v_result.attempt + 1] * (0.8 + random() * 0.4),
        coalesce(v_result.retry_after_ms, 0) / 1000.0)) else next_attempt_at end
    where message_id = v_result.message_id and endpoint_id = p_endpoint_id and status = 'pending';
    v_counts := jsonb_set(v_counts, array[v_outcome], to_jsonb((v_counts ->> v_outcome)::integer + 1));
    if v_outcome = 'delivered' then
      v_endpoint.failing_since := null;
    else
      v_endpoint.failing_since := coalesce(v_endpoint.failing_since, now());
    end if;
  end loop;
  update public.webhook_endpoints set
    failing_since = v_endpoint.failing_since,
    lease_id = case when lease_id = p_lease_id then null else lease_id end,
    lease_until = case when lease_id = p_lease_id then null else lease_until end
  where id = p_endpoint_id;
  if v_endpoint.enabled and v_endpoint.failing_since
       <= now() - private.setting('webhook_disable_after', '5 days')::interval then
    update public.webhook_endpoints
    set enabled = false, disabled_at = now(), disabled_reason = 'every delivery failed since ' || v_endpoint.failing_since
    where id = p_endpoint_id;
    update public.webhook_outbox set status = 'failed', last_error = 'the endpoint was disabled'
    where endpoint_id = p_endpoint_id and status = 'pending';
    insert into public.tenant_notifications (tenant_id, type, title, message, level, metadata)
    values (v_endpoint.organization_id, 'webhook.endpoint_disabled', 'Webhook endpoint disabled',
            format('Every delivery to %s has failed since %s; it is disabled. Fix it, then enable it again.',
                   v_endpoint.url, v_endpoint.failing_since),
            'error', jsonb_build_object('endpoint_id', p_endpoint_id, 'url', v_endpoint.url));
    perform private.audit(v_endpoint.organization_id, 'webhook_endpoint.disabled', null, null, null,
                          jsonb_build_object('endpoint_id', p_endpoint_id, 'failing_since', v_endpoint.failing_since));
    v_counts := v_counts || '{"endpoint_disabled": true}';
  end if;
  return v_counts;
end
$$;
revoke execute on function public.report_webhook_deliveries(uuid, uuid, jsonb) from public, anon, authenticated;
grant execute on function public.report_webhook_deliveries(uuid, uuid, jsonb) to service_role;

-- pg_cron calling deliver-webhooks through pg_net, as the onboarding dispatcher.
create or replace function private.install_webhook_dispatcher(
  p_functions_url text, p_service_role_key text, p_schedule text default '5 seconds'
) returns bigint
language plpgsql set search_path = '' as $$
begin
  if p_functions_url !~ '^https?://' or coalesce(p_service_role_key, '') = '' then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'install_webhook_dispatcher needs an http(s) functions URL and the service role key';
  end if;
  return cron.schedule('deliver-webhooks', p_schedule, format(
    'select net.http_post(url := %L, body := ''{}''::jsonb, headers := %L::jsonb, timeout_milliseconds := 60000)',
    rtrim(p_functions_url, '/') || '/deliver-webhooks',
    jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || p_service_role_key)::text));
end
$$;
revoke execute on function private.install_webhook_dispatcher(text, text, text) from public;
