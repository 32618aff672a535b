-- Webhooks: the current definition (supabase/migrations/ builds exactly this; `make test` checks it).
-- Function bodies may name objects of later files: they are checked when called.
set check_function_bodies = false;

-- FUNCTION administer_webhooks(uuid)
CREATE FUNCTION private.administer_webhooks(p_organization_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform private.lock_organization_as_member(p_organization_id);
  if not public.authorize(p_organization_id, 'org:webhooks:manage') then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'only owners and admins manage webhooks';
  end if;
  if not ('webhooks' = any (private.enabled_features(p_organization_id))) then
    raise exception using errcode = '42501', message = 'feature_not_enabled',
      detail = 'the organization''s plan does not include webhooks';
  end if;
end
$$;

-- COMMENT FUNCTION administer_webhooks(p_organization_id uuid)
COMMENT ON FUNCTION private.administer_webhooks(p_organization_id uuid) IS 'Locks the organization, checks the caller administers it and that it has webhooks.';

-- ACL FUNCTION administer_webhooks(p_organization_id uuid)
REVOKE ALL ON FUNCTION private.administer_webhooks(p_organization_id uuid) FROM PUBLIC;

-- TABLE webhook_endpoints
CREATE TABLE public.webhook_endpoints (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    organization_id uuid NOT NULL,
    url text NOT NULL,
    event_types text[] DEFAULT '{}'::text[] NOT NULL,
    description text,
    enabled boolean DEFAULT true NOT NULL,
    disabled_at timestamp with time zone,
    disabled_reason text,
    failing_since timestamp with time zone,
    lease_id uuid,
    lease_until timestamp with time zone,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_endpoints_description_check CHECK ((char_length(description) <= 500)),
    CONSTRAINT webhook_endpoints_url_check CHECK ((char_length(url) <= 2048))
);

-- COMMENT TABLE webhook_endpoints
COMMENT ON TABLE public.webhook_endpoints IS 'An organization''s HTTPS endpoints for events out, the event types each wants, and its health (failing since, disabled).';

-- COMMENT COLUMN webhook_endpoints.event_types
COMMENT ON COLUMN public.webhook_endpoints.event_types IS 'The event types it wants; empty: all of them.';

-- COMMENT COLUMN webhook_endpoints.failing_since
COMMENT ON COLUMN public.webhook_endpoints.failing_since IS 'Since when every attempt has failed (null after any success).';

-- COMMENT COLUMN webhook_endpoints.lease_id
COMMENT ON COLUMN public.webhook_endpoints.lease_id IS 'The dispatcher holding the endpoint, and until when.';

-- ACL TABLE webhook_endpoints
GRANT ALL ON TABLE public.webhook_endpoints TO service_role;
GRANT SELECT ON TABLE public.webhook_endpoints TO authenticated;

-- FUNCTION administered_endpoint(uuid)
CREATE FUNCTION private.administered_endpoint(p_endpoint_id uuid) RETURNS public.webhook_endpoints
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_endpoint public.webhook_endpoints;
begin
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id;
  if not found or private.caller_role(v_endpoint.organization_id) is null
     or not v_endpoint.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))
        and not private.is_platform_admin() then
    raise exception using errcode = 'PT404', message = 'endpoint_not_found', detail = 'no such webhook endpoint';
  end if;
  perform private.administer_webhooks(v_endpoint.organization_id);
  select * into v_endpoint from public.webhook_endpoints where id = p_endpoint_id for update;
  return v_endpoint;
end
$$;

-- COMMENT FUNCTION administered_endpoint(p_endpoint_id uuid)
COMMENT ON FUNCTION private.administered_endpoint(p_endpoint_id uuid) IS 'The endpoint, locked, after the same checks as creating one.';

-- ACL FUNCTION administered_endpoint(p_endpoint_id uuid)
REVOKE ALL ON FUNCTION private.administered_endpoint(p_endpoint_id uuid) FROM PUBLIC;

-- FUNCTION configure_webhooks(text, text, boolean)
CREATE FUNCTION private.configure_webhooks(p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $_$
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
$_$;

-- COMMENT FUNCTION configure_webhooks(p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean)
COMMENT ON FUNCTION private.configure_webhooks(p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean) IS 'Svix''s schedule: the delay before each attempt, in seconds (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after an endpoint has failed everything for `p_disable_after` it is disabled. Private (loopback, RFC 1918, link-local) and http URLs are refused unless `p_allow_private_urls` (the local stack''s default).';

-- ACL FUNCTION configure_webhooks(p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean)
REVOKE ALL ON FUNCTION private.configure_webhooks(p_retry_schedule text, p_disable_after text, p_allow_private_urls boolean) FROM PUBLIC;

-- FUNCTION emit_webhook_event(uuid, text, jsonb)
CREATE FUNCTION private.emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb)
COMMENT ON FUNCTION private.emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb) IS 'Queues `p_type` for the organization''s enabled endpoints that want it, when its features include webhooks.';

-- ACL FUNCTION emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb)
REVOKE ALL ON FUNCTION private.emit_webhook_event(p_organization_id uuid, p_type text, p_data jsonb) FROM PUBLIC;

-- FUNCTION install_webhook_dispatcher(text, text, text)
CREATE FUNCTION private.install_webhook_dispatcher(p_functions_url text, p_server_key text, p_schedule text DEFAULT '5 seconds'::text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select private.schedule_function_call('deliver-webhooks', p_functions_url, 'deliver-webhooks',
    p_server_key, p_schedule, 60000)
$$;

-- COMMENT FUNCTION install_webhook_dispatcher(p_functions_url text, p_server_key text, p_schedule text)
COMMENT ON FUNCTION private.install_webhook_dispatcher(p_functions_url text, p_server_key text, p_schedule text) IS 'pg_cron calling deliver-webhooks through pg_net, as the onboarding dispatcher.';

-- ACL FUNCTION install_webhook_dispatcher(p_functions_url text, p_server_key text, p_schedule text)
REVOKE ALL ON FUNCTION private.install_webhook_dispatcher(p_functions_url text, p_server_key text, p_schedule text) FROM PUBLIC;

-- FUNCTION new_webhook_secret()
CREATE FUNCTION private.new_webhook_secret() RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select 'whsec_' || encode(extensions.gen_random_bytes(32), 'base64')
$$;

-- ACL FUNCTION new_webhook_secret()
REVOKE ALL ON FUNCTION private.new_webhook_secret() FROM PUBLIC;

-- FUNCTION webhook_event_types()
CREATE FUNCTION private.webhook_event_types() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select array['organization.activated', 'invite.created', 'invite.accepted', 'invite.revoked', 'invite.declined',
               'member.added', 'member.removed', 'member.role_changed', 'ownership.transferred',
               'member.join_requested', 'member.join_request_denied', 'domain.verified', 'domain.removed',
               'organization.deletion_scheduled', 'organization.deletion_cancelled',
               'tenant_user.onboarding.completed', 'tenant_user.onboarding.failed',
               'member.provisioned', 'member.suspended', 'member.deprovisioned']
$$;

-- COMMENT FUNCTION webhook_event_types()
COMMENT ON FUNCTION private.webhook_event_types() IS 'The event types a webhook endpoint may subscribe to.';

-- ACL FUNCTION webhook_event_types()
REVOKE ALL ON FUNCTION private.webhook_event_types() FROM PUBLIC;

-- FUNCTION webhook_from_audit()
CREATE FUNCTION private.webhook_from_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION webhook_from_audit()
COMMENT ON FUNCTION private.webhook_from_audit() IS 'The audit log''s actions as events (no token or hash is ever in the audit log).';

-- ACL FUNCTION webhook_from_audit()
REVOKE ALL ON FUNCTION private.webhook_from_audit() FROM PUBLIC;

-- FUNCTION webhook_from_onboarding_event()
CREATE FUNCTION private.webhook_from_onboarding_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- ACL FUNCTION webhook_from_onboarding_event()
REVOKE ALL ON FUNCTION private.webhook_from_onboarding_event() FROM PUBLIC;

-- FUNCTION webhook_retry_delays()
CREATE FUNCTION private.webhook_retry_delays() RETURNS numeric[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select string_to_array(private.setting('webhook_retry_schedule', '0,5,300,1800,7200,18000,36000,36000'), ',')::numeric[]
$$;

-- ACL FUNCTION webhook_retry_delays()
REVOKE ALL ON FUNCTION private.webhook_retry_delays() FROM PUBLIC;

-- FUNCTION webhook_url_allowed(text)
CREATE FUNCTION private.webhook_url_allowed(p_url text) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION webhook_url_allowed(p_url text)
COMMENT ON FUNCTION private.webhook_url_allowed(p_url text) IS 'Whether an endpoint URL may be used: https on a public host (IP literals in loopback, private, link-local, CGNAT or unspecified ranges and `localhost` are refused), unless private URLs are allowed (then http too).';

-- ACL FUNCTION webhook_url_allowed(p_url text)
REVOKE ALL ON FUNCTION private.webhook_url_allowed(p_url text) FROM PUBLIC;

-- FUNCTION claim_webhook_batches(integer, integer, integer)
CREATE FUNCTION public.claim_webhook_batches(p_endpoints integer DEFAULT 10, p_messages integer DEFAULT 50, p_lease_seconds integer DEFAULT 120) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_batches jsonb := '[]';
  v_endpoint record;
  v_lease uuid;
  v_pending uuid[] := array(select distinct o.endpoint_id from public.webhook_outbox o where o.status = 'pending');
begin
  for v_endpoint in
    select e.id, e.url from public.webhook_endpoints e
    where e.id = any (v_pending)
      and e.enabled and (e.lease_until is null or e.lease_until < now())
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

-- COMMENT FUNCTION claim_webhook_batches(p_endpoints integer, p_messages integer, p_lease_seconds integer)
COMMENT ON FUNCTION public.claim_webhook_batches(p_endpoints integer, p_messages integer, p_lease_seconds integer) IS 'Leases up to `p_endpoints` endpoints whose oldest pending message is due, and returns, for each, its URL, the secrets that sign, and its first `p_messages` pending messages in order of creation. One dispatcher holds an endpoint at a time, so messages go out in order and once per lease.';

-- ACL FUNCTION claim_webhook_batches(p_endpoints integer, p_messages integer, p_lease_seconds integer)
REVOKE ALL ON FUNCTION public.claim_webhook_batches(p_endpoints integer, p_messages integer, p_lease_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.claim_webhook_batches(p_endpoints integer, p_messages integer, p_lease_seconds integer) TO service_role;

-- FUNCTION create_webhook_endpoint(uuid, text, text[], text)
CREATE FUNCTION public.create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[] DEFAULT NULL::text[], p_description text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text)
COMMENT ON FUNCTION public.create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text) IS 'Creates an endpoint; the answer holds its signing secret, shown this once.';

-- ACL FUNCTION create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text)
REVOKE ALL ON FUNCTION public.create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.create_webhook_endpoint(p_organization_id uuid, p_url text, p_events text[], p_description text) TO authenticated;

-- FUNCTION delete_webhook_endpoint(uuid)
CREATE FUNCTION public.delete_webhook_endpoint(p_endpoint_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  delete from public.webhook_endpoints where id = v_endpoint.id;
  perform private.audit(v_endpoint.organization_id, 'webhook_endpoint.deleted', null, null, null,
                        jsonb_build_object('endpoint_id', v_endpoint.id, 'url', v_endpoint.url));
  return jsonb_build_object('id', v_endpoint.id, 'deleted', true);
end
$$;

-- ACL FUNCTION delete_webhook_endpoint(p_endpoint_id uuid)
REVOKE ALL ON FUNCTION public.delete_webhook_endpoint(p_endpoint_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.delete_webhook_endpoint(p_endpoint_id uuid) TO authenticated;

-- FUNCTION disable_webhook_endpoint(uuid)
CREATE FUNCTION public.disable_webhook_endpoint(p_endpoint_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  update public.webhook_endpoints set enabled = false, disabled_at = now(), disabled_reason = 'disabled by a member'
  where id = v_endpoint.id;
  return jsonb_build_object('id', v_endpoint.id, 'enabled', false);
end
$$;

-- ACL FUNCTION disable_webhook_endpoint(p_endpoint_id uuid)
REVOKE ALL ON FUNCTION public.disable_webhook_endpoint(p_endpoint_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.disable_webhook_endpoint(p_endpoint_id uuid) TO authenticated;

-- FUNCTION enable_webhook_endpoint(uuid)
CREATE FUNCTION public.enable_webhook_endpoint(p_endpoint_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_endpoint public.webhook_endpoints := private.administered_endpoint(p_endpoint_id);
begin
  update public.webhook_endpoints
  set enabled = true, disabled_at = null, disabled_reason = null, failing_since = null
  where id = v_endpoint.id;
  return jsonb_build_object('id', v_endpoint.id, 'enabled', true);
end
$$;

-- COMMENT FUNCTION enable_webhook_endpoint(p_endpoint_id uuid)
COMMENT ON FUNCTION public.enable_webhook_endpoint(p_endpoint_id uuid) IS 'Enables an endpoint again (after a disable, or the automatic one); the failure clock starts afresh.';

-- ACL FUNCTION enable_webhook_endpoint(p_endpoint_id uuid)
REVOKE ALL ON FUNCTION public.enable_webhook_endpoint(p_endpoint_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.enable_webhook_endpoint(p_endpoint_id uuid) TO authenticated;

-- FUNCTION replay_webhook_message(text, uuid)
CREATE FUNCTION public.replay_webhook_message(p_message_id text, p_endpoint_id uuid DEFAULT NULL::uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message public.webhook_messages;
  v_count integer;
begin
  select * into v_message from public.webhook_messages where id = p_message_id;
  if not found or private.caller_role(v_message.organization_id) is null
     or not v_message.organization_id in (select private.permitted_organization_ids('org:webhooks:manage'))
        and not private.is_platform_admin() then
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

-- COMMENT FUNCTION replay_webhook_message(p_message_id text, p_endpoint_id uuid)
COMMENT ON FUNCTION public.replay_webhook_message(p_message_id text, p_endpoint_id uuid) IS 'Queues a message again for every endpoint it went to (or `p_endpoint_id` only), from its first attempt; the same `webhook-id`, so a receiver that has it already can skip it.';

-- ACL FUNCTION replay_webhook_message(p_message_id text, p_endpoint_id uuid)
REVOKE ALL ON FUNCTION public.replay_webhook_message(p_message_id text, p_endpoint_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.replay_webhook_message(p_message_id text, p_endpoint_id uuid) TO authenticated;

-- FUNCTION report_webhook_deliveries(uuid, uuid, jsonb)
CREATE FUNCTION public.report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb)
COMMENT ON FUNCTION public.report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb) IS 'Records a batch''s attempts (`p_results`: [{message_id, attempt, status_code, duration_ms, error, retry_after_ms}]) and releases the endpoint: 2xx delivered; 429, 5xx and no answer retried on the schedule with ±20% jitter, never sooner than Retry-After; other 4xx and the last attempt failed. An endpoint failing everything for the disable period is disabled, its pending messages failed (replayable once it is enabled again), and its organization''s owners and admins are notified.';

-- ACL FUNCTION report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb)
REVOKE ALL ON FUNCTION public.report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.report_webhook_deliveries(p_endpoint_id uuid, p_lease_id uuid, p_results jsonb) TO service_role;

-- FUNCTION rotate_webhook_secret(uuid)
CREATE FUNCTION public.rotate_webhook_secret(p_endpoint_id uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

-- COMMENT FUNCTION rotate_webhook_secret(p_endpoint_id uuid)
COMMENT ON FUNCTION public.rotate_webhook_secret(p_endpoint_id uuid) IS 'A new secret, shown this once; the previous one keeps signing alongside it for 24 h.';

-- ACL FUNCTION rotate_webhook_secret(p_endpoint_id uuid)
REVOKE ALL ON FUNCTION public.rotate_webhook_secret(p_endpoint_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.rotate_webhook_secret(p_endpoint_id uuid) TO authenticated;

-- TABLE webhook_secrets
CREATE TABLE private.webhook_secrets (
    id bigint NOT NULL,
    endpoint_id uuid NOT NULL,
    secret text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retires_at timestamp with time zone,
    CONSTRAINT webhook_secrets_secret_check CHECK ((secret ~ '^whsec_[A-Za-z0-9+/=]+$'::text))
);

-- COMMENT TABLE webhook_secrets
COMMENT ON TABLE private.webhook_secrets IS 'Signing secrets: what signing needs and nothing else, readable by no API role. The current one has no `retires_at`; after a rotation the previous one signs too until then.';

-- SEQUENCE webhook_secrets_id_seq
ALTER TABLE private.webhook_secrets ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME private.webhook_secrets_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- TABLE webhook_deliveries
CREATE TABLE public.webhook_deliveries (
    id bigint NOT NULL,
    message_id text NOT NULL,
    endpoint_id uuid NOT NULL,
    attempt integer NOT NULL,
    status_code integer,
    duration_ms integer,
    error text,
    at timestamp with time zone DEFAULT now() NOT NULL
);

-- COMMENT TABLE webhook_deliveries
COMMENT ON TABLE public.webhook_deliveries IS 'Every attempt to deliver a webhook message to an endpoint: status code, duration, error, when.';

-- ACL TABLE webhook_deliveries
GRANT ALL ON TABLE public.webhook_deliveries TO service_role;
GRANT SELECT ON TABLE public.webhook_deliveries TO authenticated;

-- SEQUENCE webhook_deliveries_id_seq
ALTER TABLE public.webhook_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- TABLE webhook_messages
CREATE TABLE public.webhook_messages (
    id text NOT NULL,
    organization_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

-- COMMENT TABLE webhook_messages
COMMENT ON TABLE public.webhook_messages IS 'Every event an organization emitted, with its payload: what endpoints receive, signed as Standard Webhooks.';

-- COMMENT COLUMN webhook_messages.id
COMMENT ON COLUMN public.webhook_messages.id IS '`msg_` and 32 hex digits: the `webhook-id` of every attempt, the receiver''s idempotency key.';

-- ACL TABLE webhook_messages
GRANT ALL ON TABLE public.webhook_messages TO service_role;
GRANT SELECT ON TABLE public.webhook_messages TO authenticated;

-- TABLE webhook_outbox
CREATE TABLE public.webhook_outbox (
    seq bigint NOT NULL,
    message_id text NOT NULL,
    endpoint_id uuid NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_status_code integer,
    last_error text,
    delivered_at timestamp with time zone,
    CONSTRAINT webhook_outbox_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

-- COMMENT TABLE webhook_outbox
COMMENT ON TABLE public.webhook_outbox IS 'Per endpoint and message: pending, delivered or failed, attempts, next attempt. The dispatcher delivers each endpoint''s messages in order.';

-- ACL TABLE webhook_outbox
GRANT ALL ON TABLE public.webhook_outbox TO service_role;
GRANT SELECT ON TABLE public.webhook_outbox TO authenticated;

-- SEQUENCE webhook_outbox_seq_seq
ALTER TABLE public.webhook_outbox ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_outbox_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

-- CONSTRAINT webhook_secrets webhook_secrets_pkey
ALTER TABLE ONLY private.webhook_secrets
    ADD CONSTRAINT webhook_secrets_pkey PRIMARY KEY (id);

-- CONSTRAINT webhook_deliveries webhook_deliveries_pkey
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);

-- CONSTRAINT webhook_endpoints webhook_endpoints_pkey
ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);

-- CONSTRAINT webhook_messages webhook_messages_pkey
ALTER TABLE ONLY public.webhook_messages
    ADD CONSTRAINT webhook_messages_pkey PRIMARY KEY (id);

-- CONSTRAINT webhook_outbox webhook_outbox_pkey
ALTER TABLE ONLY public.webhook_outbox
    ADD CONSTRAINT webhook_outbox_pkey PRIMARY KEY (message_id, endpoint_id);

-- INDEX webhook_secrets_endpoint_idx
CREATE INDEX webhook_secrets_endpoint_idx ON private.webhook_secrets USING btree (endpoint_id, id);

-- INDEX webhook_deliveries_message_idx
CREATE INDEX webhook_deliveries_message_idx ON public.webhook_deliveries USING btree (message_id, endpoint_id, attempt);

-- INDEX webhook_endpoints_organization_idx
CREATE INDEX webhook_endpoints_organization_idx ON public.webhook_endpoints USING btree (organization_id);

-- INDEX webhook_messages_organization_idx
CREATE INDEX webhook_messages_organization_idx ON public.webhook_messages USING btree (organization_id, created_at);

-- INDEX webhook_outbox_endpoint_idx
CREATE INDEX webhook_outbox_endpoint_idx ON public.webhook_outbox USING btree (endpoint_id);

-- INDEX webhook_outbox_pending_idx
CREATE INDEX webhook_outbox_pending_idx ON public.webhook_outbox USING btree (endpoint_id, seq) WHERE (status = 'pending'::text);

-- TRIGGER webhook_endpoints touch_updated_at
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON public.webhook_endpoints FOR EACH ROW EXECUTE FUNCTION private.touch_updated_at();

-- TRIGGER organization_audit_log webhook_from_audit
CREATE TRIGGER webhook_from_audit AFTER INSERT ON public.organization_audit_log FOR EACH ROW EXECUTE FUNCTION private.webhook_from_audit();

-- TRIGGER user_onboarding_events webhook_from_onboarding_event
CREATE TRIGGER webhook_from_onboarding_event AFTER INSERT ON public.user_onboarding_events FOR EACH ROW EXECUTE FUNCTION private.webhook_from_onboarding_event();

-- FK CONSTRAINT webhook_secrets webhook_secrets_endpoint_id_fkey
ALTER TABLE ONLY private.webhook_secrets
    ADD CONSTRAINT webhook_secrets_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoints(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_deliveries webhook_deliveries_endpoint_id_fkey
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoints(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_deliveries webhook_deliveries_message_id_fkey
ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.webhook_messages(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_endpoints webhook_endpoints_created_by_fkey
ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_created_by_fkey FOREIGN KEY (created_by) REFERENCES auth.users(id) ON DELETE SET NULL;

-- FK CONSTRAINT webhook_endpoints webhook_endpoints_organization_id_fkey
ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_messages webhook_messages_organization_id_fkey
ALTER TABLE ONLY public.webhook_messages
    ADD CONSTRAINT webhook_messages_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_outbox webhook_outbox_endpoint_id_fkey
ALTER TABLE ONLY public.webhook_outbox
    ADD CONSTRAINT webhook_outbox_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoints(id) ON DELETE CASCADE;

-- FK CONSTRAINT webhook_outbox webhook_outbox_message_id_fkey
ALTER TABLE ONLY public.webhook_outbox
    ADD CONSTRAINT webhook_outbox_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.webhook_messages(id) ON DELETE CASCADE;

-- POLICY webhook_deliveries owners and admins read their deliveries
CREATE POLICY "owners and admins read their deliveries" ON public.webhook_deliveries FOR SELECT TO authenticated USING ((endpoint_id = ANY (( SELECT ARRAY( SELECT webhook_endpoints.id
           FROM public.webhook_endpoints) AS "array")::uuid[])));

-- POLICY webhook_outbox owners and admins read their queue
CREATE POLICY "owners and admins read their queue" ON public.webhook_outbox FOR SELECT TO authenticated USING ((endpoint_id = ANY (( SELECT ARRAY( SELECT webhook_endpoints.id
           FROM public.webhook_endpoints) AS "array")::uuid[])));

-- POLICY webhook_endpoints webhook managers read their endpoints
CREATE POLICY "webhook managers read their endpoints" ON public.webhook_endpoints FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.permitted_organizations('org:webhooks:manage'::text) AS permitted_organizations)::uuid[])));

-- POLICY webhook_messages webhook managers read their messages
CREATE POLICY "webhook managers read their messages" ON public.webhook_messages FOR SELECT TO authenticated USING ((organization_id = ANY (( SELECT private.permitted_organizations('org:webhooks:manage'::text) AS permitted_organizations)::uuid[])));

-- ROW SECURITY webhook_deliveries
ALTER TABLE public.webhook_deliveries ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY webhook_endpoints
ALTER TABLE public.webhook_endpoints ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY webhook_messages
ALTER TABLE public.webhook_messages ENABLE ROW LEVEL SECURITY;

-- ROW SECURITY webhook_outbox
ALTER TABLE public.webhook_outbox ENABLE ROW LEVEL SECURITY;
