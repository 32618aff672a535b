-- Every everyday path flat (issue 33): what the data-scale bench found growing with the
-- database, or with an organization's history, once it timed the writes and the jobs too.
--
--   path                          1k users → 100k users (before)   cause
--   reconcile job                 9.7 → 127 ms                     counts every user without a profile
--   purge of a 1,000-member org   37 → 112 ms                      cascades and the profile move scan
--   webhook dispatcher's claim    0.2 → 1.8 ms of PostgreSQL       looks at every endpoint
--   send invite (10k team)        15-28 ms of PostgreSQL           the hourly budget reads all its audit rows
--   export (10k team)             26-30 s                          each page builds and sorts its whole section

-- 1. The reconcile job looks at the signups still waiting for their workspace, not at
-- every user. A trigger of ours on auth.users (whatever delivers the webhook: ours, the
-- dashboard's, none) notes each new user; the job forgets those whose profile came.

create table private.signups_awaiting_workspace (
  user_id uuid primary key references auth.users (id) on delete cascade
);
comment on table private.signups_awaiting_workspace is 'Users whose signup has not been seen to make a profile yet: noted at insert into auth.users, forgotten by the reconcile job once the profile exists. What the job looks at, so that it costs the signups of the last minutes, not every user there is.';
alter table private.signups_awaiting_workspace enable row level security;

create function private.await_signup_workspace() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.signups_awaiting_workspace (user_id) values (new.id) on conflict (user_id) do nothing;
  return null;
end
$$;
comment on function private.await_signup_workspace() is 'Notes a new user for the reconcile job (trigger on auth.users).';
revoke all on function private.await_signup_workspace() from public;

-- `postgres` may create a trigger on auth.users, not drop one: created once.
do $$
begin
  if not exists (select 1 from pg_trigger where tgrelid = 'auth.users'::regclass
                 and tgname = 'on_auth_user_created_await_workspace') then
    execute 'create trigger on_auth_user_created_await_workspace after insert on auth.users '
            'for each row execute function private.await_signup_workspace()';
  end if;
end
$$;

-- The users already waiting when this is applied (one scan, once).
insert into private.signups_awaiting_workspace (user_id)
select u.id from auth.users u
where not exists (select 1 from public.profiles p where p.id = u.id)
on conflict (user_id) do nothing;

create or replace function public.reconcile_signups(p_older_than interval default '00:01:00'::interval, p_limit integer default 500)
returns integer language plpgsql security definer set search_path = '' as $$
declare
  missing record;
  v_window_end timestamptz := now() - p_older_than;
  v_without_profile integer;
  v_repaired uuid[] := '{}';
begin
  -- Those whose workspace came (by the webhook, or a run before this one) are done with.
  delete from private.signups_awaiting_workspace a
  where exists (select 1 from public.profiles p where p.id = a.user_id);
  select count(*) into v_without_profile
  from private.signups_awaiting_workspace a join auth.users u on u.id = a.user_id
  where u.created_at < v_window_end;
  for missing in
    select u.id, u.email, u.raw_user_meta_data
    from private.signups_awaiting_workspace a join auth.users u on u.id = a.user_id
    where u.created_at < v_window_end
    order by u.created_at
    limit p_limit
  loop
    perform public.create_signup_workspace(missing.id, missing.email, missing.raw_user_meta_data);
    delete from private.signups_awaiting_workspace where user_id = missing.id;
    v_repaired := v_repaired || missing.id;
  end loop;
  insert into private.reconcile_runs (window_end, users_without_profile, repaired_user_ids)
  values (v_window_end, v_without_profile, v_repaired);
  raise log 'reconcile_signups: %', json_build_object(
    'window_end', v_window_end, 'users_without_profile', v_without_profile,
    'repaired', cardinality(v_repaired), 'repaired_user_ids', v_repaired);
  return cardinality(v_repaired);
end
$$;
comment on function public.reconcile_signups(interval, integer) is 'The reconcile job: for users older than `p_older_than` who still have no profile (a lost webhook), makes what is missing through create_signup_workspace, at most `p_limit` a run; each run is recorded in private.reconcile_runs. It looks only at private.signups_awaiting_workspace, so a run costs the recent signups, not every user. Scheduled every minute by pg_cron.';

-- 2. The purge: the organizations due are found through an index, and every table an
-- organization's deletion reaches (by cascade, set null, or the move of its members'
-- active organization) is reached through one.
create index organizations_purge_idx on public.organizations (purge_after) where status = 'deletion_scheduled';
create index profiles_organization_idx on public.profiles (organization_id) where organization_id is not null;
create index webhook_outbox_endpoint_idx on public.webhook_outbox (endpoint_id);
create index webhook_secrets_endpoint_idx on private.webhook_secrets (endpoint_id, id);
create index onboarding_outbox_tenant_idx on public.onboarding_outbox (tenant_id);
create index onboarding_outbox_user_idx on public.onboarding_outbox (user_id);
create index tenant_notifications_user_idx on public.tenant_notifications (user_id) where user_id is not null;
create index user_onboarding_events_user_idx on public.user_onboarding_events (user_id) where user_id is not null;
create index organization_join_requests_domain_idx on public.organization_join_requests (domain_id) where domain_id is not null;

-- 3. The dispatcher's claim starts from the endpoints with something pending (few), not
-- from every enabled endpoint (one in a hundred organizations has one): first their ids,
-- from the pending messages' index, then those endpoints through their key. (Written as
-- one join, the planner walked the endpoints in key order to merge with the pending ones:
-- 10,000 endpoints, 22 ms a claim.)
create or replace function public.claim_webhook_batches(p_endpoints integer default 10, p_messages integer default 50, p_lease_seconds integer default 120)
returns jsonb language plpgsql security definer set search_path = '' as $$
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

-- 4. The hourly send budget reads the organization's recent sends, not its whole history.
create index organization_audit_log_invite_sent_idx on public.organization_audit_log (organization_id, at)
  where action = 'invite.sent';

-- 5. The export: a page is found by its key in an index (or, for the small sections, a
-- sort of the organization's own rows), and only its rows are built. Keys are compared in
-- the column's type and ordered as "C" text, which is the same order (uuids in their
-- canonical form, ids zero-padded); the nil uuid is where every section starts.
create index onboarding_invites_organization_id_idx on public.onboarding_invites (organization_id, id);
create index tenant_users_tenant_id_idx on public.tenant_users (tenant_id, id);
create index tenant_notifications_tenant_id_idx on public.tenant_notifications (tenant_id, id);

create or replace function private.export_query(p_section text) returns text
language plpgsql immutable set search_path = '' as $f$
declare
  -- The cursor as a uuid, as a bigint: where the previous page ended.
  after_uuid constant text := $q$coalesce(nullif($2, '')::uuid, '00000000-0000-0000-0000-000000000000')$q$;
  after_id constant text := $q$coalesce(nullif($2, '')::bigint, 0)$q$;
begin
  return case p_section
    when 'organization' then format($q$
      select o.id::text, jsonb_build_object('id', o.id, 'name', o.name, 'slug', o.slug, 'status', o.status,
        'plan', o.plan_id, 'features', to_jsonb(private.enabled_features(o.id)), 'mfa_required', o.mfa_required,
        'logo_url', o.logo_url, 'created_at', o.created_at, 'onboarding_completed_at', o.onboarding_completed_at)
      from public.organizations o where o.id = $1 and o.id > %s limit $3 $q$, after_uuid)
    when 'billing' then format($q$
      select b.organization_id::text, to_jsonb(b) - 'organization_id'
      from public.organization_billing b where b.organization_id = $1 and b.organization_id > %s limit $3 $q$, after_uuid)
    when 'onboarding_phases' then $q$
      select p.phase, jsonb_build_object('phase', p.phase, 'data', p.data, 'done', p.done, 'saved_at', p.saved_at,
        'saved_by', p.saved_by)
      from public.organization_onboarding_phases p where p.organization_id = $1 and p.phase collate "C" > $2
      order by p.phase collate "C" limit $3 $q$
    when 'roles' then $q$
      select r.key, private.role_view(r) from public.organization_roles r
      where r.organization_id = $1 and r.key collate "C" > $2 order by r.key collate "C" limit $3 $q$
    when 'members' then format($q$
      select m.user_id::text, jsonb_build_object('user_id', m.user_id, 'email', u.email, 'full_name', p.full_name,
        'role', m.role, 'joined_at', m.created_at)
      from (select * from public.organization_members where organization_id = $1 and user_id > %s
            order by user_id limit $3) m
      join auth.users u on u.id = m.user_id
      left join public.profiles p on p.id = m.user_id $q$, after_uuid)
    when 'invites' then format($q$
      select i.id::text, jsonb_build_object('id', i.id, 'email', i.email, 'role', i.role, 'status', i.status,
        'via', case when i.domain_id is null then 'email' else 'domain' end, 'created_at', i.created_at,
        'expires_at', i.expires_at, 'sent_at', i.sent_at, 'accepted_at', i.accepted_at, 'accepted_by', i.accepted_by,
        'revoked_at', i.revoked_at, 'declined_at', i.declined_at)
      from public.onboarding_invites i where i.organization_id = $1 and i.id > %s order by i.id limit $3 $q$, after_uuid)
    when 'invite_links' then format($q$
      select l.id::text, private.invite_link_view(l) from public.invite_links l
      where l.organization_id = $1 and l.id > %s order by l.id limit $3 $q$, after_uuid)
    when 'domains' then format($q$
      select d.id::text, jsonb_build_object('id', d.id, 'hostname', d.hostname, 'verified_at', d.verified_at,
        'enrollment_mode', d.enrollment_mode, 'default_role', d.default_role, 'created_at', d.created_at)
      from (select * from public.organization_domains where organization_id = $1 and id > %s order by id limit $3) d $q$,
      after_uuid)
    when 'join_requests' then format($q$
      select r.id::text, private.join_request_view(r) from public.organization_join_requests r
      where r.organization_id = $1 and r.id > %s order by r.id limit $3 $q$, after_uuid)
    when 'webhook_endpoints' then format($q$
      select e.id::text, jsonb_build_object('id', e.id, 'url', e.url, 'events', to_jsonb(e.event_types),
        'description', e.description, 'enabled', e.enabled, 'disabled_at', e.disabled_at,
        'disabled_reason', e.disabled_reason, 'created_at', e.created_at)
      from (select * from public.webhook_endpoints where organization_id = $1 and id > %s order by id limit $3) e $q$,
      after_uuid)
    -- Keyed by endpoint, then delivery: each of the organization's endpoints gives at most a
    -- page from where the cursor is, through its own index, and the first page of those is it.
    when 'webhook_deliveries' then $q$
      select d.endpoint_id::text || ':' || lpad(d.id::text, 20, '0'), jsonb_build_object('endpoint_id', d.endpoint_id,
        'message_id', d.message_id, 'attempt', d.attempt, 'status_code', d.status_code, 'duration_ms', d.duration_ms,
        'error', d.error, 'at', d.at)
      from (select d.* from public.webhook_endpoints e
            cross join lateral (
              select * from public.webhook_deliveries d
              where d.endpoint_id = e.id
                and (e.id > coalesce(nullif(split_part($2, ':', 1), '')::uuid, '00000000-0000-0000-0000-000000000000')
                     or d.id > coalesce(nullif(split_part($2, ':', 2), '')::bigint, 0))
              order by d.id limit $3) d
            where e.organization_id = $1
              and e.id >= coalesce(nullif(split_part($2, ':', 1), '')::uuid, '00000000-0000-0000-0000-000000000000')
            order by d.endpoint_id, d.id limit $3) d $q$
    when 'tenant_users' then format($q$
      select t.id::text, jsonb_build_object('id', t.id, 'email', t.email, 'full_name', t.full_name,
        'employee_id', t.employee_id, 'role', t.user_role, 'is_active', t.is_active,
        'telegram_chat_id', t.telegram_chat_id, 'onboarding_status', t.bot_onboarding_status,
        'onboarding_requested_at', t.bot_onboarding_requested_at, 'onboarding_completed_at', t.bot_onboarding_completed_at,
        'onboarding_error', t.bot_onboarding_error, 'created_at', t.created_at)
      from public.tenant_users t where t.tenant_id = $1 and t.id > %s order by t.id limit $3 $q$, after_uuid)
    when 'tenant_user_events' then format($q$
      select lpad(e.id::text, 20, '0'), jsonb_build_object('tenant_user_id', e.user_id,
        'correlation_id', e.correlation_id, 'event', e.event, 'detail', e.detail, 'at', e.created_at)
      from public.user_onboarding_events e where e.tenant_id = $1 and e.id > %s order by e.id limit $3 $q$, after_id)
    when 'tenant_notifications' then format($q$
      select n.id::text, jsonb_build_object('id', n.id, 'tenant_user_id', n.user_id, 'type', n.type, 'title', n.title,
        'message', n.message, 'level', n.level, 'status', n.status, 'created_at', n.created_at, 'read_at', n.read_at)
      from public.tenant_notifications n where n.tenant_id = $1 and n.id > %s order by n.id limit $3 $q$, after_uuid)
    when 'audit_log' then format($q$
      select lpad(a.id::text, 20, '0'), jsonb_build_object('id', a.id, 'action', a.action, 'actor_id', a.actor_id,
        'target_user_id', a.target_user_id, 'target_invite_id', a.target_invite_id, 'before', a.before,
        'after', a.after, 'at', a.at)
      from public.organization_audit_log a where a.organization_id = $1 and a.id > %s order by a.id limit $3 $q$, after_id)
  end;
end
$f$;
comment on function private.export_query(p_section text) is 'Each section''s page of organization $1 after the key $2 (empty: from the start), at most $3 rows, as (key, row): `key` orders the pages, as "C" text.';

create or replace function public.export_organization_page(p_organization_id uuid, p_section text, p_after text default null, p_limit integer default 500)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
declare
  v_query text := private.export_query(p_section);
  v_permissions text[] := private.caller_permissions(p_organization_id);
  v_rows jsonb;
  v_last text;
  v_count integer;
begin
  -- Not caller_role: an organization scheduled for deletion may still be exported.
  if cardinality(v_permissions) = 0 then
    perform private.refuse_platform_admin_below_aal2();
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  end if;
  perform private.require_mfa_met(p_organization_id);
  if not v_permissions @> array['org:audit:read', 'org:settings:manage'] then
    raise exception using errcode = '42501', message = 'not_org_admin',
      detail = 'exporting takes org:audit:read and org:settings:manage';
  end if;
  if v_query is null then
    raise exception using errcode = '22023', message = 'invalid_section', detail = format('no section %L', left(p_section, 50));
  end if;
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_limit: 1-1000';
  end if;
  begin
    execute format('select coalesce(jsonb_agg(row order by key collate "C"), ''[]''), max(key collate "C"), count(*)
                    from (%s) page(key, row)', v_query)
      into v_rows, v_last, v_count using p_organization_id, coalesce(p_after, ''), p_limit;
  exception when invalid_text_representation then
    raise exception using errcode = '22023', message = 'invalid_arguments',
      detail = 'p_after: the `next` of the page before';
  end;
  return jsonb_build_object('rows', v_rows, 'next', case when v_count = p_limit then v_last end, 'at', now());
end
$$;
