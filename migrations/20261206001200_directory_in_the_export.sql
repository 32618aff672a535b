-- The export holds the directory too (issue 32): an organization's export promises everything
-- it holds, and directory sync added its people and groups as the identity provider sent
-- them (each user with the ids of its groups; each group with its member count, the
-- memberships being on the users' side), and its group-to-role mappings. Tokens stay out:
-- only hashes are kept, and a hash is a secret's stand-in. Pages go by id through new
-- (organization_id, id) indexes, as every other section's.

create index directory_users_export_idx on public.directory_users (organization_id, id);
create index directory_groups_export_idx on public.directory_groups (organization_id, id);

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
    when 'directory_users' then format($q$
      select u.id::text, jsonb_build_object('id', u.id, 'user_name', u.user_name, 'external_id', u.external_id,
        'active', u.active, 'email', u.email, 'user_id', u.user_id, 'role', u.role, 'resource', u.resource,
        'groups', coalesce((select jsonb_agg(gm.group_id order by gm.group_id) from public.directory_group_members gm
                            where gm.user_id = u.id), '[]'::jsonb),
        'created_at', u.created_at, 'updated_at', u.updated_at)
      from (select * from public.directory_users where organization_id = $1 and id > %s order by id limit $3) u $q$,
      after_uuid)
    when 'directory_groups' then format($q$
      select g.id::text, jsonb_build_object('id', g.id, 'display_name', g.display_name, 'external_id', g.external_id,
        'members', (select count(*) from public.directory_group_members gm where gm.group_id = g.id),
        'created_at', g.created_at, 'updated_at', g.updated_at)
      from (select * from public.directory_groups where organization_id = $1 and id > %s order by id limit $3) g $q$,
      after_uuid)
    when 'directory_group_roles' then $q$
      select lower(r.group_name), jsonb_build_object('group', r.group_name, 'role', r.role, 'created_at', r.created_at)
      from public.directory_group_roles r where r.organization_id = $1 and lower(r.group_name) collate "C" > $2
      order by lower(r.group_name) collate "C" limit $3 $q$
    when 'audit_log' then format($q$
      select lpad(a.id::text, 20, '0'), jsonb_build_object('id', a.id, 'action', a.action, 'actor_id', a.actor_id,
        'target_user_id', a.target_user_id, 'target_invite_id', a.target_invite_id, 'before', a.before,
        'after', a.after, 'at', a.at)
      from public.organization_audit_log a where a.organization_id = $1 and a.id > %s order by a.id limit $3 $q$, after_id)
  end;
end
$f$;
comment on function private.export_query(p_section text) is 'Each section''s page of organization $1 after the key $2 (empty: from the start), at most $3 rows, as (key, row): `key` orders the pages, as "C" text.';
