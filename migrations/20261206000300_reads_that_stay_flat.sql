-- Cost as the data grows (issue 33): the reads a signed-in member makes on every page cost
-- the same with a hundred users or a million.
--
-- 1. Row-level policies compare a row's organization with the caller's organizations as an
--    array computed once per statement (`organization_id = any ((select …)::uuid[])`), which
--    the indexes on organization_id serve. `organization_id in (select f())` is a hashed
--    subplan filter on a scan of the whole table, and `(select f(organization_id))` a
--    function call per row: a member of one organization read their organizations by
--    scanning every organization. Two permissive policies on one table are OR-ed, which
--    no index serves either, so each table has one read policy; platform admins (at aal2)
--    read through it too, as before.
-- 2. Lists page: list_members answers at most `p_limit` members (default 100) after the
--    cursor `p_after` (each member carries its `cursor`), in a stable order; or the members
--    whose ids are asked for (`p_user_ids`, what the audit log's page names).
-- 3. Indexes for the lists an organization's page reads by organization.

-- 1. The caller's organizations, as arrays ---------------------------------------------------------

create function private.readable_organizations(p_permission text default null)
returns uuid[] language sql stable security definer set search_path = '' as $$
  select case
    when private.is_platform_admin() then array(select id from public.organizations)
    when p_permission is null then array(select private.member_organization_ids())
    else array(select private.permitted_organization_ids(p_permission))
  end
$$;
revoke all on function private.readable_organizations(text) from public;
grant execute on function private.readable_organizations(text) to authenticated;
comment on function private.readable_organizations(text) is 'The organizations whose rows the caller reads, for a policy to compare with once per statement: where they are a member (with a session meeting its MFA policy; holding `p_permission` when given), or every organization for a platform admin.';

-- As authorize answers it: a platform admin holds every permission in every organization
-- that is not scheduled for deletion.
create function private.permitted_organizations(p_permission text)
returns uuid[] language sql stable security definer set search_path = '' as $$
  select case
    when private.is_platform_admin() then array(select id from public.organizations where status <> 'deletion_scheduled')
    else array(select private.permitted_organization_ids(p_permission))
  end
$$;
revoke all on function private.permitted_organizations(text) from public;
grant execute on function private.permitted_organizations(text) to authenticated;
comment on function private.permitted_organizations(text) is 'The organizations where public.authorize(organization, p_permission) holds for the caller, as an array for a policy to compare with once per statement.';

drop policy "platform admins read every organization" on public.organizations;
drop policy "read organizations I belong to" on public.organizations;
create policy "members and platform admins read organizations" on public.organizations for select to authenticated
  using (id = any ((select private.readable_organizations())::uuid[]));

drop policy "member readers read their organization's members" on public.organization_members;
drop policy "platform admins read every membership" on public.organization_members;
create policy "member readers and platform admins read memberships" on public.organization_members for select to authenticated
  using (organization_id = any ((select private.readable_organizations('org:members:read'))::uuid[]));

drop policy "members and admins read billing" on public.organization_billing;
create policy "members and admins read billing" on public.organization_billing for select to authenticated
  using (organization_id = any ((select private.readable_organizations())::uuid[]));

drop policy "members and admins read feature overrides" on public.organization_feature_overrides;
create policy "members and admins read feature overrides" on public.organization_feature_overrides for select to authenticated
  using (organization_id = any ((select private.readable_organizations())::uuid[]));

drop policy "platform admins read all invites, inviters their organization's" on public.onboarding_invites;
create policy "platform admins read all invites, inviters their organization's" on public.onboarding_invites for select to authenticated
  using (organization_id = any ((select private.readable_organizations('org:members:invite'))::uuid[]));

drop policy "audit readers read their organization's log" on public.organization_audit_log;
create policy "audit readers read their organization's log" on public.organization_audit_log for select to authenticated
  using (organization_id = any ((select private.readable_organizations('org:audit:read'))::uuid[]));

drop policy "members read their organization's onboarding" on public.organization_onboarding_phases;
create policy "members read their organization's onboarding" on public.organization_onboarding_phases for select to authenticated
  using (organization_id = any ((select private.readable_organizations())::uuid[]));

drop policy "members read their organization's domain" on public.organization_domains;
create policy "members read their organization's domain" on public.organization_domains for select to authenticated
  using (organization_id = any ((select private.readable_organizations())::uuid[]));

drop policy "signed-in users read the system roles, members their organizati" on public.organization_roles;
create policy "read the system roles and one's organizations' roles" on public.organization_roles for select to authenticated
  using (organization_id is null or organization_id = any ((select private.readable_organizations())::uuid[]));

drop policy "webhook managers read their endpoints" on public.webhook_endpoints;
create policy "webhook managers read their endpoints" on public.webhook_endpoints for select to authenticated
  using (organization_id = any ((select private.permitted_organizations('org:webhooks:manage'))::uuid[]));

drop policy "webhook managers read their messages" on public.webhook_messages;
create policy "webhook managers read their messages" on public.webhook_messages for select to authenticated
  using (organization_id = any ((select private.permitted_organizations('org:webhooks:manage'))::uuid[]));

-- The queue and the attempts belong to endpoints: those the caller reads, as an array.
drop policy "owners and admins read their queue" on public.webhook_outbox;
create policy "owners and admins read their queue" on public.webhook_outbox for select to authenticated
  using (endpoint_id = any ((select array(select id from public.webhook_endpoints))::uuid[]));

drop policy "owners and admins read their deliveries" on public.webhook_deliveries;
create policy "owners and admins read their deliveries" on public.webhook_deliveries for select to authenticated
  using (endpoint_id = any ((select array(select id from public.webhook_endpoints))::uuid[]));

drop policy "inviters read their organization's links" on public.invite_links;
create policy "inviters read their organization's links" on public.invite_links for select to authenticated
  using (organization_id = any ((select private.permitted_organizations('org:members:invite'))::uuid[]));

drop policy "member managers read their organization's requests" on public.organization_join_requests;
drop policy "requesters read their requests" on public.organization_join_requests;
create policy "member managers and requesters read join requests" on public.organization_join_requests
  for select to authenticated
  using (organization_id = any ((select private.permitted_organizations('org:members:manage'))::uuid[])
         or user_id = (select auth.uid()));

-- The tenant's users, their notifications and timelines: for those who manage them.
drop policy "tenant admins read their users" on public.tenant_users;
create policy "tenant admins read their users" on public.tenant_users for select to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));
drop policy "tenant admins add users" on public.tenant_users;
create policy "tenant admins add users" on public.tenant_users for insert to authenticated
  with check (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));
drop policy "tenant admins edit users" on public.tenant_users;
create policy "tenant admins edit users" on public.tenant_users for update to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]))
  with check (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));
drop policy "tenant admins remove users" on public.tenant_users;
create policy "tenant admins remove users" on public.tenant_users for delete to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));

drop policy "tenant admins read notifications" on public.tenant_notifications;
create policy "tenant admins read notifications" on public.tenant_notifications for select to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));
drop policy "tenant admins mark notifications read" on public.tenant_notifications;
create policy "tenant admins mark notifications read" on public.tenant_notifications for update to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]))
  with check (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));

drop policy "tenant admins read the timeline" on public.user_onboarding_events;
create policy "tenant admins read the timeline" on public.user_onboarding_events for select to authenticated
  using (tenant_id = any ((select private.permitted_organizations('tenant_users:manage'))::uuid[]));

-- 2. Members, a page at a time --------------------------------------------------------------------------

-- A role's rank, inlined where it is used: an IMMUTABLE SQL function with a `set` clause is
-- never inlined but called, with the setting saved and restored, once per row (sorting a
-- 10,000-member organization took 60 ms of it). It names no table and no function, so it
-- needs no search_path of its own (pg_catalog's operators come first whatever the path).
create or replace function private.role_rank(p_role text)
returns integer language sql immutable as $$
  select case p_role when 'owner' then 4 when 'admin' then 3 when 'recruiter' then 2 when 'viewer' then 1 end
$$;

drop function public.list_members(uuid);
create function public.list_members(p_organization_id uuid, p_after text default null, p_limit integer default 100,
                                    p_user_ids uuid[] default null)
returns jsonb language plpgsql stable security definer set search_path = '' as $$
begin
  if private.caller_role(p_organization_id) is null then
    raise exception using errcode = '42501', message = 'not_member', detail = 'you are not a member of this organization';
  elsif not public.authorize(p_organization_id, 'org:members:read') then
    raise exception using errcode = '42501', message = 'permission_denied', detail = 'your role does not include org:members:read';
  elsif p_limit is null or p_limit not between 1 and 1000 or coalesce(cardinality(p_user_ids), 0) > 1000 then
    raise exception using errcode = '22023', message = 'invalid_arguments', detail = 'p_limit: 1-1000; p_user_ids: at most 1000';
  end if;
  -- Highest role first (custom roles after the system ones), then by when they joined; the
  -- cursor is the last member's place in that order. The page is chosen from the
  -- memberships alone, then only its members are looked up.
  return (with page as (
      select m.user_id, m.role, m.created_at, -coalesce(private.role_rank(m.role), -1) as rank
      from public.organization_members m
      where m.organization_id = p_organization_id
        and (p_user_ids is null or m.user_id = any (p_user_ids))
        and (p_after is null or (-coalesce(private.role_rank(m.role), -1), m.created_at, m.user_id)
             > (split_part(p_after, '|', 1)::integer, (split_part(p_after, '|', 2) || 'Z')::timestamptz,
                split_part(p_after, '|', 3)::uuid))
      -- Columns, not a row value: a sort on a record compares field by field through the
      -- record's type, several times slower.
      order by rank, created_at, user_id
      limit p_limit)
    select coalesce(jsonb_agg(jsonb_build_object(
        'user_id', page.user_id, 'email', u.email, 'full_name', p.full_name, 'role', page.role,
        'joined_at', page.created_at,
        'cursor', concat_ws('|', page.rank, to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                            page.user_id)) order by page.rank, page.created_at, page.user_id), '[]'::jsonb)
    from page
    join auth.users u on u.id = page.user_id
    left join public.profiles p on p.id = page.user_id);
end
$$;
revoke all on function public.list_members(uuid, text, integer, uuid[]) from public, anon;
grant execute on function public.list_members(uuid, text, integer, uuid[]) to authenticated;
comment on function public.list_members(uuid, text, integer, uuid[]) is 'The organization''s members, a page at a time: at most `p_limit` (1-1000, default 100) after the cursor `p_after` (the last member''s `cursor`), highest role first, then by when they joined; or those of `p_user_ids`. For holders of org:members:read.';

-- 3. Indexes for an organization's lists -----------------------------------------------------------------

create index onboarding_invites_organization_idx on public.onboarding_invites (organization_id, created_at);
create index organization_join_requests_organization_idx on public.organization_join_requests (organization_id, created_at);
create index user_onboarding_events_tenant_idx on public.user_onboarding_events (tenant_id, id);
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (endpoint_id, id);
